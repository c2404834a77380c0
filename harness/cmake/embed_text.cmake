# SPDX-License-Identifier: Apache-2.0
# cmake -DINPUT=<file> -DOUTPUT=<header> -DNAME=<constant> -DNAMESPACE=<ns> -P embed_text.cmake
# Writes a header holding a text file as a raw string literal, so the binary needs no data file
# at run time (the shipped pricing table). Rewrites the header only when its text changes.
set(delimiter "sbtext")
file(READ "${INPUT}" text)
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
