"""The `llm` extractor: one structured chat call per session batch, on any OpenAI-compatible
endpoint.

The prompt (see `llm_prompts.py`) gives the session date, the people whose statements count,
the scope's known entities and the numbered turns; the reply is validated by pydantic and
its turn numbers are mapped back to turn ids. Items that cite no turn of the batch, and facts
cited only from turns of non-person roles (the assistant), are dropped: every derived unit
must point at the turns it came from.

Cost control: the prompt is cut to `budget_tokens` minus the reply's share (the longest turns
lose their tails first, `truncate_to_budget`), and every call's tokens are counted per scope
(`tokens`, keyed by `scope_key`) and per run (`LLMExtractionResult.usage`, which the job's
counts report as `tokens`). Timed-out calls count their estimated prompt, since providers
usually bill a request they started.

Failures: a timeout or a malformed reply is retried once; if the retry fails too,
`ExtractionFailed` (an `UnavailableError`) is raised, and `Extraction` falls back to the
`rules` extractor and records the error on the job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
from memsvc.operations.extract.llm_prompts import (
    EXTRACT_SYSTEM,
    ExtractionReply,
    FactOut,
    ProcedureOut,
    StepOut,
    header,
    parse_when,
    turn_line,
)
from memsvc.operations.extract.steps import Step, instruction, tool_step
from memsvc.operations.extract.types import (
    USER_SUBJECT,
    EntityCandidate,
    ExtractionContext,
    ExtractionResult,
    FactCandidate,
    ProcedureCandidate,
    RelationCandidate,
)

from memsvc.domain import MemoryUnit, Scope
from memsvc.llm import LLM, LLMBadOutput, LLMError, LLMTimeout
from memsvc.tokens import TokenCounter, TokenUsage, estimate_messages_tokens, truncate_to_budget

logger = logging.getLogger(__name__)

NAME = "llm"
VERSION = "1"
ATTEMPTS = 2  # the first call and one retry
DEFAULT_BUDGET_TOKENS = 8000
DEFAULT_REPLY_TOKENS = 2000
# Subjects a model writes for the unnamed user; they all mean USER_SUBJECT.
_USER_WORDS = frozenset({"", "user", "the user", "i", "me", "myself", "speaker", "human"})


class ExtractionFailed(LLMError):
    """The LLM failed on every attempt; `usage` is what the attempts cost."""

    def __init__(self, message: str, usage: TokenUsage) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(slots=True)
class LLMExtractionResult(ExtractionResult):
    """An `ExtractionResult` with what the call cost and what did not make it."""

    usage: TokenUsage = TokenUsage()
    truncated_turns: int = 0  # turns cut (or left out) to fit the token budget
    dropped: int = 0  # items citing no usable turn


def scope_key(scope: Scope) -> str:
    """The token counter's key of a scope: tenant and user."""
    return f"{scope.tenant_id}/{scope.user_id or '-'}"


def plus(usage: TokenUsage, prompt: int, completion: int, calls: int = 1) -> TokenUsage:
    """`usage` with one more call's tokens."""
    return TokenUsage(
        usage.prompt_tokens + prompt, usage.completion_tokens + completion, usage.calls + calls
    )


def combine(*usages: TokenUsage) -> TokenUsage:
    """The sum of several usages."""
    return TokenUsage(
        sum(u.prompt_tokens for u in usages),
        sum(u.completion_tokens for u in usages),
        sum(u.calls for u in usages),
    )


def usage_of(outcome: object) -> TokenUsage:
    """What an extraction result or failure cost (zero for extractors without an LLM)."""
    if isinstance(outcome, LLMExtractionResult | ExtractionFailed):
        return outcome.usage
    return TokenUsage()


def losses(result: ExtractionResult) -> dict[str, int]:
    """Job counts of what an LLM result lost: turns cut to the budget, items without turns."""
    if not isinstance(result, LLMExtractionResult):
        return {}
    counts = {"truncated_turns": result.truncated_turns, "dropped": result.dropped}
    return {k: v for k, v in counts.items() if v}


def usage_dict(usage: TokenUsage) -> dict[str, int]:
    """Token usage as job counts."""
    return {
        "prompt": usage.prompt_tokens,
        "completion": usage.completion_tokens,
        "total": usage.total_tokens,
        "calls": usage.calls,
    }


@dataclass(frozen=True, slots=True)
class Call:
    """One structured request: where to count it, what to send, what to expect."""

    key: str
    messages: list[dict[str, str]]
    schema: type[pydantic.BaseModel]
    max_tokens: int


def structured_call(llm: LLM, call: Call, tokens: TokenCounter) -> tuple[Any, TokenUsage]:
    """The validated reply of `call`, retried once after a timeout or malformed output.

    Every attempt is counted in `tokens` under `call.key`. Raises `ExtractionFailed` when
    both attempts fail, or at once for other endpoint errors (retrying them rarely helps).
    """
    usage = TokenUsage()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            reply = llm.chat(call.messages, max_tokens=call.max_tokens, schema=call.schema)
        except (LLMTimeout, LLMBadOutput) as exc:
            prompt, completion = _spent(exc, call.messages)
            tokens.add(call.key, prompt, completion)
            usage = plus(usage, prompt, completion)
            logger.warning("LLM attempt %d/%d failed: %s", attempt, ATTEMPTS, exc)
            if attempt == ATTEMPTS:
                raise ExtractionFailed(
                    f"{type(exc).__name__} after {ATTEMPTS} attempts: {exc}", usage
                ) from exc
            continue
        except LLMError as exc:
            raise ExtractionFailed(f"{type(exc).__name__}: {exc}", usage) from exc
        tokens.add(call.key, reply.prompt_tokens, reply.completion_tokens)
        return reply.parsed, plus(usage, reply.prompt_tokens, reply.completion_tokens)
    raise AssertionError("unreachable")  # the loop returns or raises


def _spent(exc: LLMError, messages: list[dict[str, str]]) -> tuple[int, int]:
    if isinstance(exc, LLMBadOutput) and exc.reply is not None:
        return exc.reply.prompt_tokens, exc.reply.completion_tokens
    return estimate_messages_tokens(messages), 0


def split_budget(budget_tokens: int, reply_tokens: int) -> tuple[int, int]:
    """(prompt, reply) tokens of one call: the reply gets at most half of the budget."""
    reply = max(16, min(reply_tokens, budget_tokens // 2))
    return budget_tokens - reply, reply


class LLMExtractor:
    """Facts, entities, relations and procedures from one chat call per session batch.

    `budget_tokens` caps one call (prompt plus reply; the reply gets `reply_tokens`, at most
    half). `tokens` counts usage per scope; pass a shared counter to add it up with other
    LLM users (the decision step).
    """

    name = NAME
    version = VERSION

    def __init__(
        self,
        llm: LLM,
        *,
        budget_tokens: int = DEFAULT_BUDGET_TOKENS,
        reply_tokens: int = DEFAULT_REPLY_TOKENS,
        tokens: TokenCounter | None = None,
    ) -> None:
        self._llm = llm
        self.prompt_tokens, self.reply_tokens = split_budget(budget_tokens, reply_tokens)
        self.tokens = tokens if tokens is not None else TokenCounter()

    def extract(
        self, turns: Sequence[MemoryUnit], context: ExtractionContext
    ) -> LLMExtractionResult:
        """Extract candidates from one session batch; raises `ExtractionFailed`."""
        ordered = sorted(turns, key=lambda t: (t.attributes.get("position", 0), t.id))
        messages, truncated = self.prompt(ordered, context)
        call = Call(scope_key(context.scope), messages, ExtractionReply, self.reply_tokens)
        reply, usage = structured_call(self._llm, call, self.tokens)
        result = LLMExtractionResult(NAME, VERSION, usage=usage, truncated_turns=truncated)
        _Mapper(result, ordered, context).fill(reply)
        return result

    def prompt(
        self, turns: Sequence[MemoryUnit], context: ExtractionContext
    ) -> tuple[list[dict[str, str]], int]:
        """The chat messages for `turns` within the prompt budget, and how many turns lost
        text to it. Turns are cut as separate parts (longest first) and then joined into one
        user message, since some chat templates refuse consecutive user messages."""
        parts = [
            {"role": "system", "content": EXTRACT_SYSTEM},
            {"role": "user", "content": header(context, turns) + "\n\nConversation:"},
            *({"role": "user", "content": turn_line(i, t, context)} for i, t in enumerate(turns)),
        ]
        fitted = truncate_to_budget(parts, self.prompt_tokens)
        truncated = sum(a["content"] != b["content"] for a, b in zip(parts[2:], fitted[2:]))
        text = "\n".join(m["content"] for m in fitted[1:] if m["content"])
        return [fitted[0], {"role": "user", "content": text}], truncated


class _Mapper:
    """Turns a validated reply into candidates with turn ids (dropping what cites none)."""

    def __init__(
        self, result: LLMExtractionResult, turns: Sequence[MemoryUnit], context: ExtractionContext
    ) -> None:
        self.result = result
        self.turns = turns
        self.context = context
        self.zone = context.session_time.tzinfo if context.session_time else None
        self.producer = result.producer

    def ids(self, numbers: list[int], people_only: bool = False) -> list[str]:
        chosen = [self.turns[n] for n in dict.fromkeys(numbers) if 0 <= n < len(self.turns)]
        if people_only and not any(
            t.attributes.get("role") in self.context.person_roles for t in chosen
        ):
            return []
        return [t.id for t in chosen]

    def when(self, value: str | None) -> datetime | None:
        return parse_when(value, self.zone)

    def fill(self, reply: ExtractionReply) -> None:
        out = self.result
        for fact in reply.facts:
            self._keep(out.facts, self.fact(fact))
        for e in reply.entities:
            name, ids = e.name.strip(), self.ids(e.turns)
            aliases = sorted({a.strip() for a in e.aliases if a.strip() and a.strip() != name})
            entity = EntityCandidate(name, e.type, ids, e.confidence, aliases)
            self._keep(out.entities, entity if name and ids else None)
        for r in reply.relations:
            ids, label = self.ids(r.turns), "_".join(r.label.lower().split())
            source, target = subject(r.source), r.target.strip()
            ok = ids and label and source and target
            relation = RelationCandidate(
                source, label, target, ids, r.confidence, self.when(r.date)
            )
            self._keep(out.relations, relation if ok else None)
        for p in reply.procedures:
            self._keep(out.procedures, self.procedure(p))

    def procedure(self, p: ProcedureOut) -> ProcedureCandidate | None:
        """A procedure with its steps as the rules extractor makes them (argument patterns)."""
        ids, goal = self.ids(p.turns), p.goal.strip()
        steps = [step for step in map(_step, p.steps) if step is not None]
        if not ids or not goal or not steps:
            return None
        return ProcedureCandidate(
            goal=goal,
            steps=steps,
            outcome=p.outcome,
            source_turn_ids=ids,
            confidence=p.confidence,
            preconditions=[c.strip() for c in p.preconditions if c.strip()],
            notes=[n.strip() for n in p.notes if n.strip()],
        )

    def fact(self, fact: FactOut) -> FactCandidate | None:
        ids = self.ids(fact.turns, people_only=True)
        if not ids or not fact.text.strip():
            return None
        when = self.when(fact.date)
        dated = fact.kind in ("event", "plan")  # a date says when it happened / is planned
        return FactCandidate(
            text=fact.text.strip(),
            subject=subject(fact.subject),
            predicate=fact.predicate,
            object=(fact.object or "").strip() or None,
            kind=fact.kind,
            source_turn_ids=ids,
            confidence=fact.confidence,
            producer=self.producer,
            occurred_at=when if dated else None,
            valid_from=None if dated else when,
            rule=NAME,
        )

    def _keep(self, into: list[Any], candidate: Any | None) -> None:
        if candidate is None:
            self.result.dropped += 1
        else:
            into.append(candidate)


def _step(step: StepOut) -> Step | None:
    if step.tool and step.tool.strip():
        return tool_step(step.tool.strip(), step.args)
    if step.text and step.text.strip():
        return instruction(step.text)
    return None


def subject(name: str) -> str:
    """A model's subject, with the ways of saying "the user" folded into `USER_SUBJECT`."""
    text = name.strip()
    return USER_SUBJECT if text.lower() in _USER_WORDS else text
