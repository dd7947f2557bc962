# cmake -DASSET_DIR=dir -DOUTPUT=file.cpp -DFILES=a.css,b.js -P embed_assets.cmake
# Writes a C++ file defining `std::span<const signet::web::Asset> signet::web::embedded_assets()`:
# each file under ASSET_DIR as bytes (hex, so any file embeds, text or not), its media type from
# its extension, and a strong ETag from its SHA-256 (RFC 9110 §8.8.3: the same bytes, the same
# tag). Nothing is read at run time. An extension without a known media type is an error.
string(REPLACE "," ";" FILES "${FILES}")
set(body "")
set(table "")
set(index 0)
foreach(name IN LISTS FILES)
  set(path "${ASSET_DIR}/${name}")
  get_filename_component(ext "${name}" LAST_EXT)
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  elseif(ext STREQUAL ".png")
    set(type "image/png")
  else()
    message(FATAL_ERROR "web/assets/${name}: no media type known for '${ext}'")
  endif()
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" digest)
  file(SIZE "${path}" size)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND body "constexpr char asset_${index}[] = {${bytes}'\\0'};\n")
  string(APPEND table "    {\"${name}\", \"${type}\", {asset_${index}, ${size}}, \"\\\"${digest}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from web/assets/ by web/embed_assets.cmake: do not edit.\n"
  "#include \"web/assets.hpp\"\n"
  "namespace signet::web {\n"
  "namespace {\n"
  "${body}"
  "constexpr Asset assets[] = {\n${table}};\n"
  "}  // namespace\n"
  "std::span<const Asset> embedded_assets() noexcept { return assets; }\n"
  "}  // namespace signet::web\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
