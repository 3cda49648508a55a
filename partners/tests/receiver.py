"""A partner's webhook receiver, for real: an HTTP server on 127.0.0.1 in a thread.

It answers with the scripted statuses in turn (the last one repeats), sleeping
first when a step says so, and keeps every request it got.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    script: list[tuple[int, float]] = field(default_factory=lambda: [(200, 0.0)])
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def next_step(self) -> tuple[int, float]:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def serve(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(dict(self.headers), body))
            status, delay = receiver.next_step()
            if delay:
                time.sleep(delay)  # a slow partner: the sender's timeout is under test
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/outagewatch"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server
