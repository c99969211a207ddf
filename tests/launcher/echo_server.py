#!/usr/bin/env python3
"""A stand-in for ``bavard serve --unix-socket PATH``, for testing the WSGI launcher's proxying
on its own: it answers on the socket it is given and tells what it received.

- ``GET /healthz``: ``ok``
- ``GET /cookies``: two ``Set-Cookie`` headers, and hop-by-hop headers that must not pass
- ``GET /headers``, ``POST /echo``: JSON with the request's headers, and the body's length and
  BLAKE2s digest (read by ``Content-Length`` or chunked)
"""

import hashlib
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, *args):
        pass

    def _read_body(self):
        digest, length = hashlib.blake2s(), 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunk = self.rfile.read(size)
                self.rfile.readline()
                digest.update(chunk)
                length += len(chunk)
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                chunk = self.rfile.read(min(65536, left))
                digest.update(chunk)
                length += len(chunk)
                left -= len(chunk)
        return length, digest.hexdigest()

    def _json(self, payload, extra=()):
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.path == "/healthz":
            self._json("ok")
        elif self.path == "/cookies":
            self._json(
                "cookies",
                [
                    ("Set-Cookie", "first=1; Path=/; HttpOnly"),
                    ("Set-Cookie", "second=2; Path=/"),
                    ("Keep-Alive", "timeout=5"),
                    ("X-Private-Hop", "secret"),
                    ("Connection", "X-Private-Hop"),
                ],
            )
        else:
            self._json({"path": self.path, "headers": headers})

    def do_POST(self):
        length, blake2s = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._json({"length": length, "blake2s": blake2s, "headers": headers})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path = sys.argv[sys.argv.index("--unix-socket") + 1]
    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
