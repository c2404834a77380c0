# SPDX-License-Identifier: Apache-2.0
# sandbench_target_defaults(target): warnings, sanitizers and (optionally) clang-tidy for one of
# sandbench's own targets. Third-party code never gets these.
if(SANDBENCH_CLANG_TIDY)
    find_program(SANDBENCH_CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
endif()

function(sandbench_target_defaults target)
    target_compile_features(${target} PUBLIC cxx_std_20)
    set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
    target_link_libraries(${target} PRIVATE sandbench::warnings sandbench::sanitizers)
    if(SANDBENCH_CLANG_TIDY)
        set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "${SANDBENCH_CLANG_TIDY_EXE}")
    endif()
endfunction()
