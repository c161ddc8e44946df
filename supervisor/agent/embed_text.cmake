# Writes a C++ source defining `std::string_view <FUNCTION>()` that returns the bytes of INPUT, as a char
# array (no raw string literal: its delimiter could occur in the text, and compilers limit literal sizes).
# Usage: cmake -DINPUT=file -DOUTPUT=file.cpp -DNAMESPACE=ns -DFUNCTION=name -DHEADER=header.hpp -P embed_text.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# One line of the array for each line of the text.
string(REPLACE "'\\x0a'," "'\\x0a',\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}.new" "// Generated from ${INPUT} by embed_text.cmake; do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {

namespace {
const char kText[${size} + 1] = {
    ${bytes}'\\0'};
}  // namespace

std::string_view ${FUNCTION}() { return {kText, ${size}}; }

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
