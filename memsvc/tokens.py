"""Token accounting without a tokenizer: estimates for text and chat requests, fitting a
request into a prompt budget, and counters of what calls cost (per scope, job or run).

`memsvc.llm` re-exports all of it; `estimate_tokens` is `memsvc.domain.text.estimate_tokens`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from memsvc.domain.text import estimate_tokens

__all__ = [
    "MESSAGE_OVERHEAD_TOKENS",
    "REPLY_PRIMING_TOKENS",
    "TRUNCATION_MARKER",
    "Messages",
    "TokenCounter",
    "TokenUsage",
    "estimate_messages_tokens",
    "estimate_tokens",
    "truncate_to_budget",
]

Messages = Sequence[dict[str, str]]

# Chat formats cost a few tokens per message for the role and separators (OpenAI: 3-4), and
# about 3 to prime the reply.
MESSAGE_OVERHEAD_TOKENS = 4
REPLY_PRIMING_TOKENS = 3
TRUNCATION_MARKER = " [...truncated]"


def estimate_messages_tokens(messages: Messages) -> int:
    """`estimate_tokens` over a chat request, with the per-message overhead."""
    content = sum(estimate_tokens(m.get("content", "")) for m in messages)
    return content + MESSAGE_OVERHEAD_TOKENS * len(messages) + REPLY_PRIMING_TOKENS


def truncate_to_budget(messages: Messages, max_prompt_tokens: int) -> list[dict[str, str]]:
    """A copy of `messages` whose estimated prompt fits in `max_prompt_tokens`.

    The longest user message loses its tail (cut at a word where possible, marked with
    `TRUNCATION_MARKER`); if that is not enough it is emptied and the next longest is cut.
    System and assistant messages are kept whole. Messages that fit are returned unchanged.
    Raises `LLMError` when even empty user messages do not fit.
    """
    out = [dict(m) for m in messages]
    excess = estimate_messages_tokens(out) - max_prompt_tokens
    while excess > 0:
        index = _longest_user(out)
        if index is None:
            from memsvc.llm import LLMError  # memsvc.llm imports this module

            raise LLMError(
                f"prompt cannot fit {max_prompt_tokens} tokens: the messages other than the "
                f"user's take about {estimate_messages_tokens(out)}"
            )
        content = out[index]["content"]
        keep = estimate_tokens(content) - excess - estimate_tokens(TRUNCATION_MARKER)
        cut = _prefix(content, keep) + TRUNCATION_MARKER if keep > 0 else ""
        # Every pass must shrink a message, or the loop would not end.
        shrunk = estimate_tokens(cut) < estimate_tokens(content)
        out[index]["content"] = cut if shrunk else ""
        excess = estimate_messages_tokens(out) - max_prompt_tokens
    return out


def _longest_user(messages: list[dict[str, str]]) -> int | None:
    lengths = [
        (len(m.get("content", "")), i)
        for i, m in enumerate(messages)
        if m.get("role") == "user" and m.get("content")
    ]
    return max(lengths)[1] if lengths else None


def _prefix(text: str, max_tokens: int) -> str:
    """The longest prefix of `text` within `max_tokens` (by `estimate_tokens`), cut at a
    space when one is near the end."""
    if text.isascii():
        end = max_tokens * 4
    else:
        cost, end = 0.0, 0
        for char in text:
            cost += 0.25 if char.isascii() else 1.0
            if math.ceil(cost) > max_tokens:
                break
            end += 1
    head = text[:end]
    space = head.rfind(" ", max(0, len(head) - 40))
    return head[:space] if space > 0 and end < len(text) else head


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens spent by some number of calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class TokenCounter:
    """Tokens used per key (a scope, a job, an eval run), safe to update from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage: dict[str, TokenUsage] = {}

    def add(self, key: str, prompt: int, completion: int) -> None:
        """Count one call that cost `prompt` + `completion` tokens against `key`."""
        with self._lock:
            old = self._usage.get(key, TokenUsage())
            self._usage[key] = TokenUsage(
                old.prompt_tokens + prompt, old.completion_tokens + completion, old.calls + 1
            )

    def snapshot(self) -> dict[str, TokenUsage]:
        """A consistent copy of the usage per key."""
        with self._lock:
            return dict(self._usage)

    def total(self) -> TokenUsage:
        """The usage summed over every key."""
        usages = self.snapshot().values()
        return TokenUsage(
            sum(u.prompt_tokens for u in usages),
            sum(u.completion_tokens for u in usages),
            sum(u.calls for u in usages),
        )
