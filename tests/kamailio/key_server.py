#!/usr/bin/env python3
"""Slow key server for the SharedCache run of run.sh.

    key_server.py PORT DIRECTORY DELAY_SECONDS

Serves the files of DIRECTORY on 127.0.0.1:PORT (one thread per request), answering
each request after DELAY_SECONDS, and prints one line "GET <path>" per request received
(flushed at once), so run.sh can count the downloads of a URL.
"""
import functools
import sys
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    delay = 0.0

    def do_GET(self):
        print(f"GET {self.path}", flush=True)
        time.sleep(self.delay)
        super().do_GET()

    def log_message(self, *args):
        pass


def main():
    port, directory, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    Handler.delay = delay
    handler = functools.partial(Handler, directory=directory)
    ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
