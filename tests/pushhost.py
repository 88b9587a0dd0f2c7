"""A push target on 127.0.0.1 (Apprise's ``json://``): the bodies it was sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Endpoint:
    """A POST endpoint on 127.0.0.1 answering the statuses in ``replies`` in turn."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.replies = [200]
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                endpoint.bodies.append(json.loads(self.rfile.read(size)))
                status = (
                    endpoint.replies.pop(0) if len(endpoint.replies) > 1 else endpoint.replies[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
