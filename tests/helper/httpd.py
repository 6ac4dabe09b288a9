#!/usr/bin/python3
# httpd.py - an HTTP(S) server for the end-to-end tests, on loopback only
# SPDX-License-Identifier: MIT
#
# Usage: httpd.py PORTFILE [CERT KEY]
# Binds 127.0.0.1 on a free high port, writes the port to PORTFILE, and
# serves until killed:
#   /ok       200 "hello ops"
#   /missing  404
#   /slow     200 after 2 s
#   /redir    302 to /ok
#   anything else 200 "other"
# With CERT and KEY it speaks TLS.
import http.server
import os
import ssl
import sys
import time


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ok":
            self.reply(200, b"hello ops\n")
        elif self.path == "/missing":
            self.reply(404, b"not here\n")
        elif self.path == "/slow":
            time.sleep(2)
            self.reply(200, b"slow hello ops\n")
        elif self.path == "/redir":
            self.reply(302, b"moved\n", [("Location", "/ok")])
        else:
            self.reply(200, b"other\n")

    def log_message(self, *args):
        pass


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    srv = S(("127.0.0.1", 0), H)
    if len(sys.argv) > 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, sys.argv[1])
    srv.serve_forever()


main()
