#!/usr/bin/python3
"""An SMTP server on loopback for the tests (aiosmtpd, Debian's python3-aiosmtpd). With a
certificate and key it offers STARTTLS and requires it before MAIL (RFC 3207); with "plain" it
offers no TLS at all. Each message is written to OUT_DIR as message-N.eml (the bytes received)
and message-N.json (envelope, whether TLS was on). It listens on a free port of 127.0.0.1 and
writes that port to READY_FILE once it serves.

usage: smtp_server.py OUT_DIR READY_FILE (CERT KEY | plain)
"""
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller

out_dir, ready_file = sys.argv[1], sys.argv[2]
tls = sys.argv[3] != "plain"


class Handler:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        base = os.path.join(out_dir, "message-%d" % Handler.count)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None}
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 Message accepted for delivery"


kwargs = {}
if tls:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    kwargs = {"tls_context": context, "require_starttls": True}

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Another process may take the port between the probe and the bind: then try another.
for attempt in range(20):
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
    try:
        controller.start()
        break
    except Exception:
        if attempt == 19:
            raise
with open(ready_file + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(ready_file + ".tmp", ready_file)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait()
controller.stop()
