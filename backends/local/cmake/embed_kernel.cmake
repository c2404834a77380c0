# SPDX-License-Identifier: Apache-2.0
# cmake -DINPUT=<kernel .py> -DOUTPUT=<header> -P embed_kernel.cmake
# Writes a header holding the kernel driver as a raw string literal, so the backend needs no
# file at run time. Rewrites the header only when its text changes (no needless rebuilds).
set(delimiter "sbkernel")
file(READ "${INPUT}" script)
string(FIND "${script}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains ')${delimiter}\"', which ends the raw string literal")
endif()
set(header "// Generated from ${INPUT} by embed_kernel.cmake: do not edit.\n")
string(APPEND header "#pragma once\n\n#include <string_view>\n\n")
string(APPEND header "namespace sandbench::backends::local {\n\n")
string(APPEND header "/// The kernel driver, passed to the interpreter with -c.\n")
string(APPEND header "inline constexpr std::string_view kKernelScript = R\"${delimiter}(")
string(APPEND header "${script})${delimiter}\";\n\n}  // namespace sandbench::backends::local\n")
file(WRITE "${OUTPUT}.tmp" "${header}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
