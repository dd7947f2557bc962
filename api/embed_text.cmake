# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAMESPACE=ns -DFUNCTION=name -P embed_text.cmake
# Writes a C++ file defining `std::string_view ns::name() noexcept` that returns INPUT's text,
# as a raw string literal (C++ [lex.string]), so the text is in the binary and needs no file at
# run time. The delimiter must not occur in the text: checked.
file(READ "${INPUT}" text)
set(delimiter "signet_embedded")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by api/embed_text.cmake: do not edit.\n"
  "#include <string_view>\n"
  "namespace ${NAMESPACE} {\n"
  "std::string_view ${FUNCTION}() noexcept {\n"
  "    static constexpr std::string_view text = R\"${delimiter}(${text})${delimiter}\";\n"
  "    return text;\n"
  "}\n"
  "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
