# SPDX-License-Identifier: Apache-2.0
# sandbench::warnings: warning flags for sandbench's own targets only (never global flags).
add_library(sandbench_warnings INTERFACE)
add_library(sandbench::warnings ALIAS sandbench_warnings)
target_compile_options(sandbench_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Wsuggest-override -Woverloaded-virtual
    -Wimplicit-fallthrough
    $<$<BOOL:${SANDBENCH_WERROR}>:-Werror>)
