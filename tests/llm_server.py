"""A scripted OpenAI-compatible chat server on 127.0.0.1, for tests of the LLM paths.

It answers `POST /v1/chat/completions` from a queue of canned replies and records every
request, so tests exercise the real HTTP client instead of a mocked one:

    with ScriptedLLMServer([json_reply({"facts": []}), malformed(), sleep(1.0)]) as server:
        llm = OpenAICompatibleLLM(base_url=server.base_url, model="m", timeout_s=0.5)
        ...
        assert server.requests[0].body["response_format"]["type"] == "json_schema"

Script items are `Canned` values, or shorthands: a `str` is a text reply, a `dict` a JSON
reply. When the script runs out the server answers 500 "script exhausted", so a test that
makes an unplanned call fails loudly.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request, Response

Usage = tuple[int, int] | Literal["words"] | None


@dataclass(frozen=True, slots=True)
class Canned:
    """One scripted answer.

    `usage` is (prompt_tokens, completion_tokens); "words" reports whitespace-separated word
    counts of the request's message contents and of the reply; None leaves `usage` out.
    `body`, when set, is sent verbatim instead of a completion envelope.
    """

    content: str = ""
    status: int = 200
    delay_s: float = 0.0
    usage: Usage = "words"
    finish_reason: str = "stop"
    model: str | None = None  # the model named in the reply; None echoes the request's
    body: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the server received: path, headers (lower-case names) and JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def text(content: str, *, usage: Usage = "words", finish_reason: str = "stop") -> Canned:
    """A reply whose message content is `content`."""
    return Canned(content=content, usage=usage, finish_reason=finish_reason)


def json_reply(obj: Any, *, fenced: bool = False, usage: Usage = "words") -> Canned:
    """A reply whose content is `obj` as JSON, optionally in a ```json fence with prose."""
    content = json.dumps(obj)
    if fenced:
        content = f"Here is the result:\n```json\n{content}\n```\nLet me know if you need more."
    return Canned(content=content, usage=usage)


def malformed(*, usage: Usage = "words") -> Canned:
    """A reply that starts like JSON and breaks off, as a model cut mid-object does."""
    content = '{"facts": [{"text": "Alice adopted a dog", "confidence": 0.9'
    return Canned(content=content, usage=usage)


def sleep(seconds: float, then: Canned | None = None) -> Canned:
    """Wait `seconds` before answering (`then`, or a short text), to provoke a timeout."""
    return replace(then or text("late reply"), delay_s=seconds)


def http_error(status: int, message: str = "scripted failure") -> Canned:
    """An HTTP error status with an OpenAI-style error body."""
    body = json.dumps({"error": {"message": message, "type": "server_error", "code": status}})
    return Canned(status=status, body=body)


def raw(body: str, status: int = 200) -> Canned:
    """A verbatim body (e.g. an HTML page from a misconfigured proxy)."""
    return Canned(status=status, body=body)


@dataclass
class _State:
    script: deque[Canned]
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)


class ScriptedLLMServer:
    """A uvicorn server in a background thread on a free port of 127.0.0.1.

    Use as a context manager; `base_url` ends in `/v1` like a real OpenAI-compatible one.
    """

    def __init__(self, script: Iterable[Canned | str | dict[str, Any]] = ()) -> None:
        self._state = _State(deque(_canned(item) for item in script))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(
            _app(self._state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def remaining(self) -> int:
        """How many scripted replies have not been used."""
        with self._state.lock:
            return len(self._state.script)

    def push(self, *items: Canned | str | dict[str, Any]) -> None:
        """Append replies to the script."""
        with self._state.lock:
            self._state.script.extend(_canned(item) for item in items)

    def start(self) -> ScriptedLLMServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("scripted LLM server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        # Wake replies that are still sleeping so shutdown does not wait for them.
        self._state.closing.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _canned(item: Canned | str | dict[str, Any]) -> Canned:
    if isinstance(item, Canned):
        return item
    if isinstance(item, str):
        return text(item)
    return json_reply(item)


def _app(state: _State) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> Response:
        raw_body = await request.body()
        try:
            body = json.loads(raw_body)
        except ValueError:
            body = {"_raw": raw_body.decode("utf-8", "replace")}
        with state.lock:
            state.requests.append(RecordedRequest(request.url.path, dict(request.headers), body))
            canned = state.script.popleft() if state.script else None
        if canned is None:
            return _json(500, {"error": {"message": "scripted server: script exhausted"}})
        await _sleep(canned.delay_s, state.closing)
        if canned.body is not None:
            return Response(canned.body, status_code=canned.status, media_type="application/json")
        return _json(canned.status, _completion(canned, body, len(state.requests)))

    return app


async def _sleep(seconds: float, closing: threading.Event) -> None:
    deadline = time.monotonic() + seconds
    while not closing.is_set() and (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(left, 0.02))


def _completion(canned: Canned, request: dict[str, Any], number: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f"chatcmpl-scripted-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": canned.model or request.get("model", "scripted"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": canned.content},
                "finish_reason": canned.finish_reason,
            }
        ],
    }
    if canned.usage == "words":
        prompt = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
        completion = len(canned.content.split())
        out["usage"] = _usage(prompt, completion)
    elif canned.usage is not None:
        out["usage"] = _usage(*canned.usage)
    return out


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload), status_code=status, media_type="application/json")
