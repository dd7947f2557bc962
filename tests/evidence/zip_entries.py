#!/usr/bin/env python3
"""Python's zipfile as an independent reader of a ZIP the evidence writer made.

Usage: zip_entries.py ARCHIVE. Prints one JSON object: "test" (zipfile's testzip(): null when
every entry's CRC-32 checks), and "entries", each with its name, method (0 stored, 8 deflated),
flag bits, sizes, SHA-256 as zipfile reads it, and the CRC-32 and sizes its local header holds
(APPNOTE 4.3.7), which zipfile itself does not look at."""
import hashlib
import json
import struct
import sys
import zipfile

with open(sys.argv[1], "rb") as raw, zipfile.ZipFile(sys.argv[1]) as archive:
    entries = []
    for info in archive.infolist():
        raw.seek(info.header_offset)
        header = raw.read(30)
        signature, crc, compressed, uncompressed = struct.unpack("<I10xIII4x", header)
        if signature != 0x04034B50:
            sys.exit(f"{info.filename}: no local header at {info.header_offset}")
        digest = hashlib.sha256()
        with archive.open(info) as content:
            for piece in iter(lambda: content.read(1 << 20), b""):
                digest.update(piece)
        entries.append({
            "name": info.filename,
            "method": info.compress_type,
            "flags": info.flag_bits,
            "size": info.file_size,
            "compressed_size": info.compress_size,
            "sha256": digest.hexdigest(),
            "local_crc32": crc,
            "local_compressed_size": compressed,
            "local_size": uncompressed,
        })
    print(json.dumps({"test": archive.testzip(), "entries": entries}))
