"""The OpenAI-compatible client against a real scripted server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from pydantic import BaseModel

from memsvc.domain.errors import UnavailableError, ValidationError
from memsvc.llm import (
    TRUNCATION_MARKER,
    LLMBadOutput,
    LLMError,
    LLMTimeout,
    OpenAICompatibleLLM,
    TokenCounter,
    TokenUsage,
    build_llm,
    estimate_messages_tokens,
    estimate_tokens,
    truncate_to_budget,
)
from memsvc.settings import LLMSettings
from tests.llm_server import (
    Canned,
    ScriptedLLMServer,
    http_error,
    json_reply,
    malformed,
    raw,
    sleep,
    text,
)


class Fact(BaseModel):
    subject: str
    predicate: str
    object: str


class Facts(BaseModel):
    facts: list[Fact]


FACTS = {"facts": [{"subject": "Alice", "predicate": "has_pet", "object": "Rex"}]}
PROMPT = [
    {"role": "system", "content": "Extract facts as JSON."},
    {"role": "user", "content": "Alice: I adopted a dog named Rex last week."},
]


@contextmanager
def serving(*script: Canned | str | dict, **client: object) -> Iterator[tuple]:
    """A scripted server and a client pointed at it (client kwargs override the defaults)."""
    options: dict = {"timeout_s": 2.0, **client}
    with (
        ScriptedLLMServer(script) as server,
        OpenAICompatibleLLM(server.base_url, "m", **options) as llm,
    ):
        yield server, llm


def test_plain_chat_returns_text_model_and_reported_usage() -> None:
    with serving(text("Rex is Alice's dog.", usage=(21, 5)), max_tokens=123) as (server, llm):
        reply = llm.chat(PROMPT)
    assert (reply.text, reply.model, reply.parsed) == ("Rex is Alice's dog.", "m", None)
    assert (reply.prompt_tokens, reply.completion_tokens) == (21, 5)
    assert not reply.estimated_usage
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body == {"model": "m", "messages": PROMPT, "max_tokens": 123, "temperature": 0.0}
    assert "authorization" not in request.headers


def test_per_call_max_tokens_and_temperature_are_sent() -> None:
    with serving("a", "b", max_tokens=123) as (server, llm):
        llm.chat(PROMPT, max_tokens=7, temperature=0.7)
        llm.chat(PROMPT)
    first, second = (r.body for r in server.requests)
    assert (first["max_tokens"], first["temperature"]) == (7, 0.7)
    assert (second["max_tokens"], second["temperature"]) == (123, 0.0)


def test_schema_is_requested_and_reply_parsed_into_the_model() -> None:
    with serving(json_reply(FACTS)) as (server, llm):
        reply = llm.chat(PROMPT, schema=Facts)
    assert reply.parsed == Facts.model_validate(FACTS)
    assert server.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Facts", "schema": Facts.model_json_schema(), "strict": False},
    }


def test_fenced_json_inside_prose_is_tolerated() -> None:
    with serving(json_reply(FACTS, fenced=True)) as (_, llm):
        reply = llm.chat(PROMPT, schema=Facts)
    assert reply.text.startswith("Here is the result:\n```json")
    assert reply.parsed == Facts.model_validate(FACTS)


def test_first_object_that_fits_the_schema_wins() -> None:
    content = 'Thinking: {"draft": true} and then\n' + json_reply(FACTS).content
    with serving(text(content)) as (_, llm):
        assert llm.chat(PROMPT, schema=Facts).parsed == Facts.model_validate(FACTS)


def test_malformed_json_raises_bad_output_with_the_reply_attached() -> None:
    with serving(malformed(usage=None)) as (_, llm), pytest.raises(LLMBadOutput) as info:
        llm.chat(PROMPT, schema=Facts)
    assert "no JSON object" in info.value.message
    assert info.value.reply is not None
    assert info.value.reply.text.startswith('{"facts"')
    assert info.value.reply.completion_tokens > 0  # spent tokens stay countable


def test_schema_mismatch_raises_bad_output_naming_the_field() -> None:
    wrong = {"facts": [{"subject": "Alice", "object": "Rex"}]}
    with serving(json_reply(wrong)) as (_, llm), pytest.raises(LLMBadOutput) as info:
        llm.chat(PROMPT, schema=Facts)
    assert "does not match Facts" in info.value.message
    assert "facts.0.predicate" in info.value.message


def test_reply_cut_at_max_tokens_says_so() -> None:
    cut = text('{"facts": [{"subject": "Al', finish_reason="length")
    with serving(cut) as (_, llm), pytest.raises(LLMBadOutput, match="cut at max_tokens"):
        llm.chat(PROMPT, schema=Facts)


def test_slow_server_raises_timeout_without_waiting_for_the_reply() -> None:
    with serving(sleep(3.0), timeout_s=0.3) as (server, llm):
        started = time.monotonic()
        with pytest.raises(LLMTimeout) as info:
            llm.chat(PROMPT)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert isinstance(info.value, UnavailableError)
    assert info.value.status_code == 503
    assert f"{server.base_url}/chat/completions" in info.value.message
    assert "0.3 s" in info.value.message


def test_server_error_raises_llm_error_naming_url_status_and_detail() -> None:
    overloaded = http_error(500, "model overloaded")
    with serving(overloaded) as (server, llm), pytest.raises(LLMError) as info:
        llm.chat(PROMPT)
    assert not isinstance(info.value, LLMTimeout | LLMBadOutput)
    message = info.value.message
    assert f"{server.base_url}/chat/completions" in message
    assert "HTTP 500" in message
    assert "model overloaded" in message


@pytest.mark.parametrize(
    ("status", "hint"), [(401, "MEMSVC_LLM_API_KEY"), (404, "MEMSVC_LLM_BASE_URL")]
)
def test_client_errors_hint_at_the_setting_to_fix(status: int, hint: str) -> None:
    with serving(http_error(status)) as (_, llm), pytest.raises(LLMError, match=hint):
        llm.chat(PROMPT)


def test_non_json_body_raises_llm_error() -> None:
    html = raw("<html>502 Bad Gateway</html>")
    with serving(html) as (_, llm), pytest.raises(LLMError, match="not JSON.*Bad Gateway"):
        llm.chat(PROMPT)


def test_completion_without_choices_raises_llm_error() -> None:
    empty = raw('{"object": "chat.completion", "choices": []}')
    with serving(empty) as (_, llm), pytest.raises(LLMError, match="without choices"):
        llm.chat(PROMPT)


def test_unreachable_endpoint_raises_llm_error_naming_url() -> None:
    with ScriptedLLMServer() as server:
        base_url = server.base_url
    with (
        OpenAICompatibleLLM(base_url, "m", timeout_s=1) as llm,
        pytest.raises(LLMError, match=f"cannot reach LLM at {base_url}") as info,
    ):
        llm.chat(PROMPT)
    assert not isinstance(info.value, LLMTimeout)


def test_api_key_is_sent_as_bearer_and_kept_out_of_repr() -> None:
    with serving("ok", api_key="sk-secret") as (server, llm):
        llm.chat(PROMPT)
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret"
    assert "sk-secret" not in repr(llm)


def test_missing_usage_is_estimated_and_flagged() -> None:
    messages = [{"role": "user", "content": "12345678"}]
    with serving(text("abcd efgh", usage=None)) as (_, llm):
        reply = llm.chat(messages)
    assert reply.estimated_usage
    # 8 chars / 4 = 2 tokens + 4 per message + 3 to prime the reply; 9 chars -> 3 tokens.
    assert (reply.prompt_tokens, reply.completion_tokens) == (9, 3)


def test_token_counter_sums_usage_of_concurrent_calls_per_key() -> None:
    counter = TokenCounter()

    def call(key: str) -> None:
        reply = llm.chat([{"role": "user", "content": key}])
        counter.add(key, reply.prompt_tokens, reply.completion_tokens)

    script = [text("ok", usage=(10, 2)) for _ in range(8)]
    with serving(*script) as (server, llm), ThreadPoolExecutor(4) as pool:
        list(pool.map(call, ["scope-a", "scope-b"] * 4))
    assert len(server.requests) == 8
    assert counter.snapshot() == {
        "scope-a": TokenUsage(40, 8, 4),
        "scope-b": TokenUsage(40, 8, 4),
    }
    assert counter.total() == TokenUsage(80, 16, 8)
    assert counter.total().total_tokens == 96


def test_build_llm_is_none_without_endpoint_and_follows_settings_otherwise() -> None:
    # model_validate, as Settings does from the environment (and mypy sees no Field defaults)
    assert build_llm(LLMSettings.model_validate({})) is None
    with ScriptedLLMServer(["ok"]) as server:
        values = {"base_url": server.base_url, "model": "qwen", "api_key": "k", "max_tokens": 64}
        settings = LLMSettings.model_validate(values)
        llm = build_llm(settings)
        assert llm is not None
        with llm:
            llm.chat(PROMPT)
    [request] = server.requests
    assert (request.body["model"], request.body["max_tokens"]) == ("qwen", 64)
    assert request.headers["authorization"] == "Bearer k"


def test_base_url_without_scheme_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        OpenAICompatibleLLM("localhost:8000/v1", "m")
    assert info.value.field == "llm.base_url"


# --- budgets ------------------------------------------------------------------------------


def test_messages_within_budget_come_back_unchanged_as_a_copy() -> None:
    out = truncate_to_budget(PROMPT, 1000)
    assert out == PROMPT
    out[1]["content"] = "changed"
    assert PROMPT[1]["content"].startswith("Alice")


def test_longest_user_message_loses_its_tail_to_fit() -> None:
    context = " ".join(f"turn{i} Alice said something about Rex." for i in range(200))
    messages = [
        {"role": "system", "content": "Answer from the context."},
        {"role": "user", "content": context},
        {"role": "user", "content": "What is the dog called?"},
    ]
    out = truncate_to_budget(messages, 300)
    assert 290 <= estimate_messages_tokens(out) <= 300  # fits, and is not cut far below
    assert out[0] == messages[0] and out[2] == messages[2]
    assert out[1]["content"].endswith(TRUNCATION_MARKER)
    kept = out[1]["content"].removesuffix(TRUNCATION_MARKER)
    assert context.startswith(kept) and context[len(kept)] == " "  # cut between words


def test_non_ascii_text_is_counted_densely() -> None:
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("记忆服务") == 4
    messages = [{"role": "user", "content": "记忆" * 1000}]
    out = truncate_to_budget(messages, 200)
    assert estimate_messages_tokens(out) <= 200
    assert out[0]["content"].startswith("记忆记忆")


def test_several_user_messages_are_cut_longest_first() -> None:
    messages = [
        {"role": "user", "content": "a" * 800},
        {"role": "assistant", "content": "b" * 40},
        {"role": "user", "content": "c" * 400},
    ]
    out = truncate_to_budget(messages, 60)
    assert estimate_messages_tokens(out) <= 60
    assert out[0]["content"] == ""  # the longest went first and could not cover the excess
    assert out[1] == messages[1]
    assert out[2]["content"].startswith("ccc") and out[2]["content"].endswith(TRUNCATION_MARKER)


def test_budget_smaller_than_the_fixed_messages_raises() -> None:
    messages = [{"role": "system", "content": "x" * 400}, {"role": "user", "content": "hi"}]
    with pytest.raises(LLMError, match="cannot fit 50 tokens"):
        truncate_to_budget(messages, 50)


def test_truncated_prompt_is_what_the_server_receives() -> None:
    long = [{"role": "user", "content": "word " * 2000}]
    with serving("ok") as (server, llm):
        llm.chat(truncate_to_budget(long, 100))
    sent = server.requests[0].body["messages"]
    assert estimate_messages_tokens(sent) <= 100 < estimate_messages_tokens(long)
