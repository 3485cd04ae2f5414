"""Precision and recall of the `rules` extractor on hand-labelled turns.

    python -m memsvc.evals.extraction_precision [--data FILE] [--min-confidence 0.0]
        [--split all|dev|heldout] [--ids L101-L120]

Each line of the labelled file is one turn (role, speaker, time, text) with the facts a careful
reader would extract as slot triples (subject, predicate, object, kind, optional date) and the
entities it names (name, type). Turns sharing a `conversation` id are extracted as one batch,
in order, as the write path would; the others alone. Rows are split: "dev" (the rules were
tuned while looking at them) and "heldout" (written afterwards, scored once, not tuned on).
Rows L121-L195 (facts said in passing, issue 11) were all written before the rules that read
them; their held-out ones were scored as totals only.

Labelling guide: facts are what the speaker states about themself (never from assistant
turns, questions, conditionals, wishes or negated statements, except "I don't like X" as a
dislike); entities are the named things of stated sentences, hypothetical ones included.
Rows may also carry `procedures` (goal and steps of a how-to the speaker states, "To deploy
I run make build, then ..."): procedures are not slot facts, so they are scored on their
own, only on rows that have the field (a narrative chained by "then" is labelled with none).

A fact candidate is correct when its triple equals a labelled one after normalisation (case,
punctuation, articles and the speaker's possessive dropped: "the user's new bike" == "new
bike"); an entity when its name and type match; a procedure when its goal and the labelled
one run one inside the other and it has the labelled steps, in order, each step's labelled
words inside the extracted step ("make build" in "run make build"). Speaker names are left
out on both sides (they are known from the turns). Dates are checked on matched facts that
carry one.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from memsvc.operations.extract.rules import RulesExtractor
from memsvc.operations.extract.types import (
    ExtractionContext,
    Extractor,
    FactCandidate,
    ProcedureCandidate,
)

from memsvc.domain import Granularity, MemoryUnit, Scope

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "extraction_labelled.jsonl"
_DROP = frozenset("a an the my some".split())
Triple = tuple[str, str, str]


@dataclass(slots=True)
class Tally:
    """Counts for one row of the table."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass(slots=True)
class Scores:
    facts: Tally = field(default_factory=Tally)
    lenient: Tally = field(default_factory=Tally)  # same slot, one object inside the other
    entities: Tally = field(default_factory=Tally)
    procedures: Tally = field(default_factory=Tally)  # on rows with a `procedures` label
    by_kind: dict[str, Tally] = field(default_factory=dict)
    by_rule: dict[str, Tally] = field(default_factory=dict)
    by_type: dict[str, Tally] = field(default_factory=dict)
    dates: Tally = field(default_factory=Tally)  # tp = right date, fp = wrong date
    silent_turns: int = 0  # turns labelled with nothing
    noisy_turns: int = 0  # ... that still produced a fact
    errors: list[str] = field(default_factory=list)


def normalise(text: str, subject: str = "") -> str:
    """Lower case, no punctuation, no articles, no "my" and no "<subject>'s"."""
    text = text.lower().replace("’", "'")
    if subject:
        text = text.replace(subject.lower() + "'s", " ")
    words = re.findall(r"[\w$]+(?:'[\w]+)?", text)
    return " ".join(w for w in words if w not in _DROP)


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled turns, in file order."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(
    items: Sequence[dict[str, Any]], extractor: Extractor, min_confidence: float = 0.0
) -> Scores:
    """Run `extractor` over the labelled turns and count matches."""
    scores = Scores()
    for batch in _batches(items):
        turns = [_turn(item, i) for i, item in enumerate(batch)]
        speakers = {str(i["speaker"]).lower() for i in batch if i.get("speaker")}
        result = extractor.extract(turns, ExtractionContext(scope=turns[0].scope))
        facts = [f for f in result.facts if f.confidence >= min_confidence]
        entities = [
            (e.name, e.type, e.source_turn_ids[0])
            for e in result.entities
            if e.confidence >= min_confidence and e.name.lower() not in speakers
        ]
        for item in batch:
            mine = [f for f in facts if f.source_turn_ids[0] == item["id"]]
            _score_facts(item, mine, scores)
            names = [(n, t) for n, t, src in entities if src == item["id"]]
            _score_entities(item, names, speakers, scores)
            if "procedures" in item:
                procedures = [
                    p
                    for p in result.procedures
                    if p.confidence >= min_confidence and p.source_turn_ids[:1] == [item["id"]]
                ]
                _score_procedures(item, procedures, scores)
    return scores


def _batches(items: Sequence[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        key = item.get("conversation") or item["id"]
        groups.setdefault(str(key), []).append(item)
    return groups.values()


def _turn(item: dict[str, Any], position: int) -> MemoryUnit:
    return MemoryUnit(
        id=item["id"],
        scope=Scope("eval", "labelled", None, str(item.get("conversation") or item["id"])),
        granularity=Granularity.TURN,
        content=item["text"],
        attributes={"role": item["role"], "speaker": item.get("speaker"), "position": position},
        occurred_at=datetime.fromisoformat(item["occurred_at"]),
    )


def _key(subject: str, predicate: str, obj: str) -> Triple:
    return (normalise(subject), predicate, normalise(obj, subject))


def _score_facts(item: dict[str, Any], facts: list[FactCandidate], scores: Scores) -> None:
    # Verbatim statements are search keys, not parsed facts: they are not scored here.
    facts = [f for f in facts if f.kind != "statement"]
    gold = {_key(g["subject"], g["predicate"], g["object"]): g for g in item["facts"]}
    if not gold:
        scores.silent_turns += 1
        scores.noisy_turns += bool(facts)
    found: set[Triple] = set()
    loose: set[Triple] = set()
    for fact in facts:
        key = _key(fact.subject, fact.predicate or "", fact.object or "")
        hit = key in gold and key not in found
        label = gold.get(key)
        _count(scores, fact.kind, fact.rule or "?", hit)
        near = next((g for g in gold if g not in loose and _contains(g, key)), None)
        if near is not None:
            loose.add(near)
        scores.lenient.tp += near is not None
        scores.lenient.fp += near is None
        if hit and label is not None:
            found.add(key)
            _score_date(item, label, fact, scores)
        elif not hit:
            scores.errors.append(f"{item['id']} FP fact {key} <- {fact.text}")
    scores.lenient.fn += len(gold) - len(loose)
    for key, label in gold.items():
        if key not in found:
            scores.facts.fn += 1
            scores.by_kind.setdefault(label["kind"], Tally()).fn += 1
            scores.errors.append(f"{item['id']} FN fact {key}")


def _contains(gold: Triple, got: Triple) -> bool:
    """Same subject and predicate, and one object's words run inside the other's."""
    if gold[:2] != got[:2] or not gold[2] or not got[2]:
        return False
    a, b = f" {gold[2]} ", f" {got[2]} "
    return a in b or b in a


def _count(scores: Scores, kind: str, rule: str, hit: bool) -> None:
    for tally in (
        scores.facts,
        scores.by_kind.setdefault(kind, Tally()),
        scores.by_rule.setdefault(rule, Tally()),
    ):
        if hit:
            tally.tp += 1
        else:
            tally.fp += 1


def _score_date(
    item: dict[str, Any], label: dict[str, Any], fact: FactCandidate, scores: Scores
) -> None:
    """Events and plans are dated by `occurred_at`, states by `valid_from`."""
    if "date" not in label:
        return
    when = fact.occurred_at if label["kind"] in ("event", "plan") else fact.valid_from
    if when is not None and when.date().isoformat() == label["date"]:
        scores.dates.tp += 1
    else:
        scores.dates.fp += 1
        scores.errors.append(f"{item['id']} date {label['date']} != {when} <- {fact.text}")


def _score_entities(
    item: dict[str, Any], names: Sequence[tuple[str, str]], speakers: set[str], scores: Scores
) -> None:
    gold = {
        (g["name"].lower(), g["type"])
        for g in item["entities"]
        if g["name"].lower() not in speakers
    }
    found = {(n.lower(), t) for n, t in names}
    for name, kind in sorted(found):
        tally = scores.by_type.setdefault(kind, Tally())
        hit = (name, kind) in gold
        scores.entities.tp += hit
        scores.entities.fp += not hit
        tally.tp += hit
        tally.fp += not hit
        if not hit:
            scores.errors.append(f"{item['id']} FP entity {name} ({kind})")
    for name, kind in sorted(gold - found):
        scores.entities.fn += 1
        scores.by_type.setdefault(kind, Tally()).fn += 1
        scores.errors.append(f"{item['id']} FN entity {name} ({kind})")


def _score_procedures(
    item: dict[str, Any], found: list[ProcedureCandidate], scores: Scores
) -> None:
    gold = list(item["procedures"])
    for procedure in found:
        label = next((g for g in gold if _same_procedure(g, procedure)), None)
        if label is None:
            scores.procedures.fp += 1
            steps = [s.text for s in procedure.steps]
            scores.errors.append(f"{item['id']} FP procedure {procedure.goal!r} {steps}")
        else:
            scores.procedures.tp += 1
            gold.remove(label)
    scores.procedures.fn += len(gold)
    scores.errors.extend(f"{item['id']} FN procedure {g['goal']!r} {g['steps']}" for g in gold)


def _same_procedure(label: dict[str, Any], found: ProcedureCandidate) -> bool:
    goal, got = f" {normalise(label['goal'])} ", f" {normalise(found.goal)} "
    if (goal not in got and got not in goal) or len(label["steps"]) != len(found.steps):
        return False
    return all(
        f" {normalise(want)} " in f" {normalise(step.text)} "
        for want, step in zip(label["steps"], found.steps, strict=True)
    )


def table(scores: Scores) -> str:
    """A markdown table of the scores."""
    rows = [
        ("facts (all)", scores.facts),
        ("facts (lenient object boundary)", scores.lenient),
        ("entities (all)", scores.entities),
        ("procedures (rows labelled with them)", scores.procedures),
    ]
    rows += [(f"facts: kind {k}", t) for k, t in sorted(scores.by_kind.items())]
    rows += [(f"facts: rule {k}", t) for k, t in sorted(scores.by_rule.items())]
    rows += [(f"entities: type {k}", t) for k, t in sorted(scores.by_type.items())]
    lines = ["| what | tp | fp | fn | precision | recall |", "|---|---:|---:|---:|---:|---:|"]
    for name, t in rows:
        lines.append(
            f"| {name} | {t.tp} | {t.fp} | {t.fn} | {_pct(t.precision)} | {_pct(t.recall)} |"
        )
    lines.append(
        f"\nresolved dates right on matched dated facts: {scores.dates.tp}/"
        f"{scores.dates.tp + scores.dates.fp}"
    )
    lines.append(
        f"turns labelled with no fact that produced one: {scores.noisy_turns}/{scores.silent_turns}"
    )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--min-confidence", type=float, default=0.0)
    parser.add_argument("--errors", action="store_true", help="list every miss and false hit")
    parser.add_argument(
        "--split", choices=("all", "dev", "heldout"), default="all", help="rows to score"
    )
    parser.add_argument("--ids", help="a range of row ids to score, e.g. L101-L120")
    args = parser.parse_args(argv)
    items = [i for i in load(args.data) if args.split in ("all", i.get("split", "dev"))]
    if args.ids:
        first, _, last = args.ids.partition("-")
        items = [i for i in items if first <= i["id"] <= (last or first)]
    scores = evaluate(items, RulesExtractor(), args.min_confidence)
    print(
        f"rules extractor on {len(items)} labelled turns ({args.data.name}, split "
        f"{args.split}{', ids ' + args.ids if args.ids else ''}), "
        f"min confidence {args.min_confidence}\n"
    )
    print(table(scores))
    if args.errors:
        print("\n" + "\n".join(scores.errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
