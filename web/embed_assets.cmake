# cmake -DASSET_DIR=dir -DOUTPUT=file.cpp -DFILES=a.css,b.js [-DEXTERNAL=name=/path,...]
#       -P embed_assets.cmake
# Writes a C++ file defining `std::span<const signet::web::Asset> signet::web::embedded_assets()`:
# each file under ASSET_DIR as bytes (hex, so any file embeds, text or not), its media type from
# its extension, and a strong ETag from its SHA-256 (RFC 9110 §8.8.3: the same bytes, the same
# tag). Nothing is read at run time. An extension without a known media type is an error.
# EXTERNAL files (a library Debian installs, e.g. pdf.js from libjs-pdf) are embedded under the
# given name by the assembler's .incbin (megabytes: hex text of them would make a slow compile);
# their media type, size and tag are found the same way.
string(REPLACE "," ";" FILES "${FILES}")
string(REPLACE "," ";" EXTERNAL "${EXTERNAL}")

function(media_type name out)
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
  # A list item cannot hold ';' (the rows below are a list): the media types' is put back last.
  string(REPLACE ";" "<semicolon>" type "${type}")
  set(${out} "${type}" PARENT_SCOPE)
endfunction()

set(body "")
set(prelude "")
set(rows "")
set(index 0)
foreach(name IN LISTS FILES)
  set(path "${ASSET_DIR}/${name}")
  media_type("${name}" type)
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" digest)
  file(SIZE "${path}" size)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND body "constexpr char asset_${index}[] = {${bytes}'\\0'};\n")
  list(APPEND rows "${name}|    {\"${name}\", \"${type}\", {asset_${index}, ${size}}, \"\\\"${digest}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()
foreach(entry IN LISTS EXTERNAL)
  string(FIND "${entry}" "=" at)
  string(SUBSTRING "${entry}" 0 ${at} name)
  math(EXPR from "${at} + 1")
  string(SUBSTRING "${entry}" ${from} -1 path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "${path} (for web asset ${name}) is missing: ops/install-deps installs it")
  endif()
  media_type("${name}" type)
  file(SHA256 "${path}" digest)
  file(SIZE "${path}" size)
  # The bytes and a terminating NUL in .rodata, under a C name the table refers to.
  string(APPEND prelude "extern \"C\" const char signet_web_asset_${index}[];\n"
    "__asm__(\".section .rodata\\n.balign 16\\n.globl signet_web_asset_${index}\\n"
    ".hidden signet_web_asset_${index}\\nsignet_web_asset_${index}:\\n.incbin \\\"${path}\\\"\\n"
    ".byte 0\\n.previous\");\n")
  list(APPEND rows "${name}|    {\"${name}\", \"${type}\", {signet_web_asset_${index}, ${size}}, \"\\\"${digest}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()
# The table sorted by name (assets.hpp promises it).
list(SORT rows)
set(table "")
foreach(row IN LISTS rows)
  string(FIND "${row}" "|" bar)
  math(EXPR from "${bar} + 1")
  string(SUBSTRING "${row}" ${from} -1 line)
  string(APPEND table "${line}")
endforeach()
string(REPLACE "<semicolon>" ";" table "${table}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from web/assets/ by web/embed_assets.cmake: do not edit.\n"
  "#include \"web/assets.hpp\"\n"
  "${prelude}"
  "namespace signet::web {\n"
  "namespace {\n"
  "${body}"
  "constexpr Asset assets[] = {\n${table}};\n"
  "}  // namespace\n"
  "std::span<const Asset> embedded_assets() noexcept { return assets; }\n"
  "}  // namespace signet::web\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
