"""The optional LLM: a one-method port, an OpenAI-compatible client, and token accounting.

memsvc works without an LLM; extraction, abstractive summaries and QA evaluation use one
when `MEMSVC_LLM_BASE_URL` is set (`build_llm` returns None otherwise).

Errors (all are `UnavailableError`, so the API maps them to 503 and callers can fall back):

    LLMError          the endpoint failed: unreachable, HTTP error status, not a completion
     ├── LLMTimeout   no answer within `timeout_s`
     └── LLMBadOutput the reply is not the JSON object the schema asks for

Token counts come from the response's `usage`; servers that omit it get the estimate of
`estimate_tokens` (about 4 ASCII characters per token), flagged by `ChatReply.estimated_usage`.
The token helpers live in `memsvc.tokens` and are re-exported here.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

import httpx
import pydantic

from memsvc.domain.errors import UnavailableError, ValidationError
from memsvc.settings import LLMSettings
from memsvc.tokens import (
    MESSAGE_OVERHEAD_TOKENS,
    REPLY_PRIMING_TOKENS,
    TRUNCATION_MARKER,
    Messages,
    TokenCounter,
    TokenUsage,
    estimate_messages_tokens,
    estimate_tokens,
    truncate_to_budget,
)

logger = logging.getLogger(__name__)

__all__ = [
    "LLM",
    "MESSAGE_OVERHEAD_TOKENS",
    "REPLY_PRIMING_TOKENS",
    "TRUNCATION_MARKER",
    "ChatReply",
    "LLMBadOutput",
    "LLMError",
    "LLMTimeout",
    "OpenAICompatibleLLM",
    "TokenCounter",
    "TokenUsage",
    "build_llm",
    "estimate_messages_tokens",
    "estimate_tokens",
    "extract_json_objects",
    "truncate_to_budget",
]


@dataclass(frozen=True, slots=True)
class ChatReply:
    """One completion: its text, the tokens it cost, and the validated object for a schema."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    parsed: Any | None = None
    finish_reason: str | None = None  # "length" means the reply was cut at max_tokens
    estimated_usage: bool = False  # True when the server sent no `usage` and we estimated


class LLMError(UnavailableError):
    """The LLM endpoint failed; the message names the URL and, for HTTP errors, the status."""


class LLMTimeout(LLMError):
    """The endpoint did not answer within the client's timeout."""


class LLMBadOutput(LLMError):
    """The reply holds no JSON object valid for the requested schema.

    `reply` is the completion as received (its tokens were spent), for logs and counters.
    """

    def __init__(self, message: str, *, reply: ChatReply | None = None) -> None:
        super().__init__(message)
        self.reply = reply


@runtime_checkable
class LLM(Protocol):
    """A chat model. With `schema`, the reply's first valid JSON object is in `parsed`."""

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        schema: type[pydantic.BaseModel] | None = None,
        temperature: float = 0.0,
    ) -> ChatReply:
        """Complete `messages` ({"role", "content"} dicts); raise `LLMError` on failure."""
        ...


class OpenAICompatibleLLM:
    """Any endpoint that speaks OpenAI's `POST {base_url}/chat/completions` (OpenAI, vLLM,
    llama.cpp, Ollama, LiteLLM ...). `base_url` includes the version: `http://host:8000/v1`.

    Safe to share between threads (one pooled `httpx.Client`). It does not retry: callers
    decide whether a failure is worth a second call. `transport` is a seam for tests.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        max_tokens: int = 2000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValidationError(
                f"LLM base_url must start with http:// or https://, got {base_url!r}",
                field="llm.base_url",
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.url = f"{self.base_url}/chat/completions"
        headers = {"User-Agent": "memsvc"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout_s), transport=transport
        )

    def __repr__(self) -> str:  # never shows the API key
        return f"OpenAICompatibleLLM(base_url={self.base_url!r}, model={self.model!r})"

    def __enter__(self) -> OpenAICompatibleLLM:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections; the client cannot be used afterwards."""
        self._client.close()

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        schema: type[pydantic.BaseModel] | None = None,
        temperature: float = 0.0,
    ) -> ChatReply:
        """Send one chat completion request; see `LLM.chat`.

        With `schema`, the request asks for JSON-schema output (`strict: False`), and the reply
        is parsed leniently anyway (prose and ``` fences around the object are ignored), since
        many servers ignore `response_format`.
        """
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens or self.max_tokens,
            "temperature": temperature,
        }
        if schema is not None:
            body["response_format"] = response_format(schema)
        started = time.perf_counter()
        reply = _reply_from(self._post(body), messages, self.url)
        logger.debug(
            "LLM %s: %d prompt + %d completion tokens in %.2f s",
            reply.model,
            reply.prompt_tokens,
            reply.completion_tokens,
            time.perf_counter() - started,
        )
        if schema is None:
            return reply
        return replace(reply, parsed=parse_reply(reply, schema))

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise LLMTimeout(
                f"LLM at {self.url} did not answer within {self.timeout_s:g} s "
                f"({type(exc).__name__}); raise MEMSVC_LLM_TIMEOUT_S if the model is slow"
            ) from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"cannot reach LLM at {self.url}: {exc!r}") from exc
        if not response.is_success:
            raise LLMError(_status_message(self.url, response))
        try:
            data = response.json()
        except ValueError as exc:
            raise LLMError(
                f"LLM at {self.url} answered HTTP {response.status_code} with a body that is "
                f"not JSON: {_snippet(response.text)!r}"
            ) from exc
        if not isinstance(data, dict):
            raise LLMError(f"LLM at {self.url} answered with JSON that is not an object")
        return data


def build_llm(settings: LLMSettings) -> OpenAICompatibleLLM | None:
    """The configured LLM client, or None when no endpoint is set (the LLM is optional)."""
    if not settings.base_url:
        return None
    return OpenAICompatibleLLM(
        settings.base_url,
        settings.model,
        api_key=settings.api_key,
        timeout_s=settings.timeout_s,
        max_tokens=settings.max_tokens,
    )


def response_format(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """OpenAI's `response_format` asking for JSON that follows `schema`."""
    # OpenAI accepts names of at most 64 characters from [a-zA-Z0-9_-].
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", schema.__name__)[:64]
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": schema.model_json_schema(), "strict": False},
    }


def parse_reply(reply: ChatReply, schema: type[pydantic.BaseModel]) -> pydantic.BaseModel:
    """The first JSON object in the reply that validates against `schema`.

    Raises `LLMBadOutput` (with the reply attached) when there is none.
    """
    first_error: str | None = None
    for candidate in extract_json_objects(reply.text):
        try:
            return schema.model_validate_json(candidate)
        except pydantic.ValidationError as exc:
            first_error = first_error or _summarise(exc)
    cut = " (the reply was cut at max_tokens)" if reply.finish_reason == "length" else ""
    if first_error is None:
        problem = f"no JSON object in the reply{cut}"
    else:
        problem = f"the reply does not match {schema.__name__}{cut}: {first_error}"
    raise LLMBadOutput(f"{problem}; reply starts {_snippet(reply.text)!r}", reply=reply)


def extract_json_objects(text: str) -> Iterator[str]:
    """Each top-level JSON object in `text`, in order, as text.

    Prose, ``` fences and `<think>` blocks around the objects are skipped, because a decoder
    started at each `{` only succeeds on a complete object.
    """
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            _, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        yield text[start:end]
        start = text.find("{", end)


def _reply_from(data: dict[str, Any], messages: Messages, url: str) -> ChatReply:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LLMError(f"LLM at {url} answered without choices: {_snippet(json.dumps(data))!r}")
    message = choices[0].get("message") or {}
    text = _content_text(message.get("content"))
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    estimated = not (isinstance(prompt, int) and isinstance(completion, int))
    return ChatReply(
        text=text,
        prompt_tokens=prompt if isinstance(prompt, int) else estimate_messages_tokens(messages),
        completion_tokens=completion if isinstance(completion, int) else estimate_tokens(text),
        model=str(data.get("model") or ""),
        finish_reason=choices[0].get("finish_reason"),
        estimated_usage=estimated,
    )


def _content_text(content: object) -> str:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _status_message(url: str, response: httpx.Response) -> str:
    detail = _snippet(response.text)
    try:
        error = response.json().get("error")
        detail = error.get("message", detail) if isinstance(error, dict) else str(error or detail)
    except (ValueError, AttributeError):
        pass
    hint = {
        401: "; check MEMSVC_LLM_API_KEY",
        403: "; check MEMSVC_LLM_API_KEY",
        404: "; check MEMSVC_LLM_BASE_URL (usually ends in /v1) and MEMSVC_LLM_MODEL",
    }.get(response.status_code, "")
    return f"LLM at {url} answered HTTP {response.status_code}: {detail}{hint}"


def _summarise(exc: pydantic.ValidationError) -> str:
    errors = exc.errors()
    parts = [f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in errors[:3]]
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def _snippet(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
