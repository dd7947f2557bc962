#!/usr/bin/python3
"""Parses a message with Python's e-mail package (an independent RFC 5322 / MIME / RFC 2047
reader) and prints what the tests check, as JSON.

usage: read_mail.py FILE
"""
import email
import email.policy
import json
import sys

raw = open(sys.argv[1], "rb").read()
message = email.message_from_bytes(raw, policy=email.policy.default)
lines = raw.split(b"\n")
print(json.dumps({
    "subject": str(message["Subject"]),
    "from": str(message["From"]),
    "to": str(message["To"]),
    "date": str(message["Date"]),
    "message_id": str(message["Message-ID"]),
    "content_type": message.get_content_type(),
    "charset": message.get_content_charset(),
    "body": message.get_content(),
    "defects": [str(d) for d in message.defects],
    "crlf_only": all(line.endswith(b"\r") for line in lines[:-1]),
    "longest_line": max(len(line) for line in lines),
}))
