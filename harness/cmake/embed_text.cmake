# SPDX-License-Identifier: Apache-2.0
# cmake -DINPUT=<file> -DOUTPUT=<header> -DNAME=<constant> -DNAMESPACE=<ns> [-DSKIP_TO=<marker>]
#       -P embed_text.cmake
# Writes a header holding a text file as a raw string literal, so the binary needs no data file
# at run time (the shipped pricing table, report.html's style sheet). Rewrites the header only
# when its text changes. With SKIP_TO, the text up to and including the first SKIP_TO is left
# out: a file's licence comment that must not reach the output (the style sheet's ends at "*/").
set(delimiter "sbtext")
file(READ "${INPUT}" text)
if(DEFINED SKIP_TO)
    string(FIND "${text}" "${SKIP_TO}" skip_at)
    if(skip_at EQUAL -1)
        message(FATAL_ERROR "${INPUT} has no '${SKIP_TO}' to start the embedded text after")
    endif()
    string(LENGTH "${SKIP_TO}" skip_length)
    math(EXPR skip_at "${skip_at} + ${skip_length}")
    string(SUBSTRING "${text}" ${skip_at} -1 text)
endif()
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains ')${delimiter}\"', which ends the raw string literal")
endif()
set(header "// Generated from ${INPUT} by embed_text.cmake: do not edit.\n")
string(APPEND header "#pragma once\n\n#include <string_view>\n\n")
string(APPEND header "namespace ${NAMESPACE} {\n\n")
string(APPEND header "inline constexpr std::string_view ${NAME} = R\"${delimiter}(")
string(APPEND header "${text})${delimiter}\";\n\n}  // namespace ${NAMESPACE}\n")
file(WRITE "${OUTPUT}.tmp" "${header}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
