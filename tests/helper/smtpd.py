#!/usr/bin/python3
# smtpd.py - an SMTP sink for the end-to-end tests, on loopback only
# SPDX-License-Identifier: MIT
#
# Usage: smtpd.py PORTFILE MAILDIR [CERT KEY]
# Listens on 127.0.0.1 on a free high port (written to PORTFILE) and
# stores every message as MAILDIR/N.eml, with the envelope in N.env
# ("from" line, then one "to" line per recipient).  With CERT and KEY
# it offers STARTTLS and requires it.
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, d):
        self.d = d
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.d, "%d" % self.n)
        with open(base + ".env.tmp", "w") as f:
            f.write(envelope.mail_from + "\n")
            for r in envelope.rcpt_tos:
                f.write(r + "\n")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".env.tmp", base + ".env")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    kw = {}
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        kw = {"tls_context": ctx, "require_starttls": True}
    port = free_port()
    c = Controller(Sink(sys.argv[2]), hostname="127.0.0.1", port=port,
                   **kw)
    c.start()
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, sys.argv[1])
    threading.Event().wait()


main()
