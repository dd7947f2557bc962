#!/usr/bin/python3
"""A checkpoint witness for the tests (docs/evidence.md "Witness"): every POST's body is written
to OUT_DIR as post-N.json and answered 204. Serves on 127.0.0.1:PORT; writes READY_FILE once it
serves.

usage: witness_receiver.py PORT OUT_DIR READY_FILE
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, out_dir, ready_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Handler.count += 1
        name = os.path.join(out_dir, "post-%d.json" % Handler.count)
        with open(name + ".tmp", "wb") as f:
            f.write(body)
        os.rename(name + ".tmp", name)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Handler)
with open(ready_file, "w") as f:
    f.write("ready\n")
server.serve_forever()
