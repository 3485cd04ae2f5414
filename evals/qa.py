"""Optional end-to-end QA: an LLM reads memsvc's top hits and answers; a second call judges
the answer against the gold one. Runs only when an OpenAI-compatible endpoint is configured
(`MEMSVC_LLM_BASE_URL`); otherwise the report says QA was skipped. Nothing is ever faked: a
failed call counts as an error, not as a wrong or right answer.

The prompts are our own wording of the LongMemEval and LoCoMo judge instructions: lenient on
form (a paraphrase or a superset of the gold answer counts), strict on content, and for
abstention questions correct only when the reader says the memories do not tell.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pydantic
from memsvc.evals.loaders import Question
from tqdm import tqdm

from memsvc.llm import LLMError, build_llm
from memsvc.settings import Settings

if TYPE_CHECKING:
    from memsvc.evals.runner import RunResult

SKIPPED = "QA skipped (no MEMSVC_LLM_BASE_URL)"
QA_SYSTEM = "memsvc"

READER_SYSTEM = (
    "You answer a question about a user's past conversations. Use only the memories below; "
    "each starts with the date it happened. Reason about dates relative to the current date "
    "when the question needs it. If the memories do not contain the answer, say that you "
    "don't know. Answer in one or two sentences."
)
JUDGE_SYSTEM = (
    "You grade an answer to a question about past conversations. Compare the response with "
    "the gold answer. The response is correct when it states the gold answer or something "
    "equivalent (paraphrases, extra correct detail, and equivalent date or number formats "
    "are fine); it is wrong when it misses the gold answer, contradicts it, or only hedges. "
    'Reply with a JSON object: {"correct": true or false, "reason": "<short reason>"}.'
)
ABSTAIN_JUDGE_SYSTEM = (
    "You grade an answer to a question that cannot be answered from the user's past "
    "conversations. The response is correct only when it says the information is not "
    "available or that it does not know; any attempt at a concrete answer is wrong. "
    'Reply with a JSON object: {"correct": true or false, "reason": "<short reason>"}.'
)


class Verdict(pydantic.BaseModel):
    correct: bool
    reason: str = ""


def run_qa(settings: Settings, result: RunResult) -> dict[str, Any]:
    """Answer and judge every question memsvc retrieved for (scored and abstention ones;
    LoCoMo's adversarial category is left out, as in the published LoCoMo QA scores)."""
    llm = build_llm(settings.llm)
    if llm is None:
        return {"status": "skipped", "reason": SKIPPED}
    texts = result.systems[QA_SYSTEM].texts
    asked = [q for q in result.questions if q.excluded in (None, "abstention")]
    tally = _Tally()
    start = time.perf_counter()
    try:
        for q in tqdm(asked, desc="qa", unit="q", disable=not result.config.progress):
            memories = texts.get(q.question_id, [])[: result.config.qa_k]
            tally.add(q, _answer_and_judge(llm, q, memories))
    finally:
        llm.close()
    return tally.report(llm.model, result.config.qa_k, time.perf_counter() - start)


def _answer_and_judge(llm: Any, q: Question, memories: list[str]) -> dict[str, Any]:
    when = q.query_time.strftime("%Y-%m-%d %H:%M") if q.query_time else "unknown"
    listing = "\n".join(f"- {m}" for m in memories) or "(no memories found)"
    reader = [
        {"role": "system", "content": READER_SYSTEM},
        {
            "role": "user",
            "content": f"Current date: {when}\n\nMemories:\n{listing}\n\nQuestion: {q.text}",
        },
    ]
    out: dict[str, Any] = {"prompt": 0, "completion": 0}
    try:
        answer = llm.chat(reader, max_tokens=200)
        out["prompt"] += answer.prompt_tokens
        out["completion"] += answer.completion_tokens
        judge = [
            {"role": "system", "content": ABSTAIN_JUDGE_SYSTEM if q.excluded else JUDGE_SYSTEM},
            {
                "role": "user",
                "content": f"Question: {q.text}\nGold answer: {q.answer}\nResponse: {answer.text}",
            },
        ]
        verdict = llm.chat(judge, max_tokens=200, schema=Verdict)
        out["prompt"] += verdict.prompt_tokens
        out["completion"] += verdict.completion_tokens
        out["correct"] = bool(verdict.parsed.correct)
    except LLMError as exc:
        reply = getattr(exc, "reply", None)
        if reply is not None:
            out["prompt"] += reply.prompt_tokens
            out["completion"] += reply.completion_tokens
        out["error"] = type(exc).__name__
    return out


class _Tally:
    def __init__(self) -> None:
        self.correct: Counter[str] = Counter()
        self.judged: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def add(self, q: Question, outcome: dict[str, Any]) -> None:
        self.prompt_tokens += outcome["prompt"]
        self.completion_tokens += outcome["completion"]
        group = "abstention" if q.excluded else q.qtype
        if "error" in outcome:
            self.errors[outcome["error"]] += 1
            return
        self.judged[group] += 1
        self.correct[group] += int(outcome["correct"])

    def report(self, model: str, qa_k: int, seconds: float) -> dict[str, Any]:
        judged = sum(self.judged.values())
        return {
            "status": "done",
            "model": model,
            "system": QA_SYSTEM,
            "context_hits": qa_k,
            "judged": judged,
            "errors": dict(self.errors),
            "accuracy": sum(self.correct.values()) / judged if judged else None,
            "accuracy_by_type": {t: self.correct[t] / n for t, n in sorted(self.judged.items())},
            "n_by_type": dict(sorted(self.judged.items())),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "seconds": seconds,
        }
