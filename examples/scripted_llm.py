"""A scripted OpenAI-compatible chat server on 127.0.0.1, so the examples run offline.

It answers `POST /v1/chat/completions` with the next reply of its script and records every
request it received (`server.requests`). Point any OpenAI-compatible client at
`server.base_url`; with a real endpoint instead, the examples run unchanged.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedLLM:
    def __init__(self, replies: list[str]) -> None:
        self.requests: list[dict[str, Any]] = []
        script = deque(replies)
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                requests.append(body)
                content = script.popleft() if script else None
                status = 200 if content is not None else 500
                payload = {
                    "id": f"scripted-{len(requests)}",
                    "object": "chat.completion",
                    "model": body.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                }
                if content is None:
                    payload = {"error": {"message": "scripted server: script exhausted"}}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
