#!/usr/bin/python3
"""A loopback SMS gateway for the signer's page test: signetd POSTs each message as JSON
(otp.sms_gateway.body_template); each body is written to OUT_DIR as sms-N.json, in order, and
answered 200. It listens on a free port of 127.0.0.1 and writes that port to READY_FILE once it
serves; SIGTERM stops it.

usage: sms_gateway.py OUT_DIR READY_FILE
"""
import http.server
import os
import signal
import sys
import threading

out_dir, ready_file = sys.argv[1], sys.argv[2]
lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count += 1
            path = os.path.join(out_dir, "sms-%d.json" % count)
            with open(path + ".tmp", "wb") as f:
                f.write(body)
            os.rename(path + ".tmp", path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass  # quiet: the test reads the files


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(ready_file + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(ready_file + ".tmp", ready_file)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
