#!/usr/bin/python3
"""A webhook receiver for the tests, written as docs/signing.md tells a receiver to verify:
HMAC-SHA256 under the shared secret of "<Signet-Timestamp>.<body>", compared in constant time
with Signet-Signature's v1 value, and a timestamp within the replay window. Answers 204 when
the signature holds, 401 otherwise; every request is written to OUT_DIR as JSON. PORT 0: any
free port; the port it listens on is written to READY_FILE once it serves.

usage: webhook_receiver.py PORT SECRET_FILE OUT_DIR READY_FILE
"""
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

REPLAY_WINDOW = 300  # seconds either side of the receiver's clock

port, secret_file, out_dir, ready_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(secret_file, "rb") as f:
    secret = f.read().strip()


def verified(timestamp, signature, body):
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    given = [part[3:] for part in signature.split(",") if part.startswith("v1=")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Handler(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ok = verified(self.headers.get("Signet-Timestamp", ""),
                      self.headers.get("Signet-Signature", ""), body)
        Handler.count += 1
        record = {"path": self.path, "verified": ok, "body": body.decode("utf-8"),
                  "headers": {k: v for k, v in self.headers.items()}}
        name = os.path.join(out_dir, "request-%d.json" % Handler.count)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        self.send_response(204 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Handler)
with open(ready_file + ".tmp", "w") as f:
    f.write("%d\n" % server.server_port)
os.rename(ready_file + ".tmp", ready_file)
server.serve_forever()
