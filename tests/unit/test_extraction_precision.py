"""The extraction precision eval: matching rules, counts, and a floor on the labelled set."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from memsvc.evals.extraction_precision import DEFAULT_DATA, evaluate, load, normalise, table
from memsvc.operations.extract.rules import RulesExtractor
from memsvc.operations.extract.steps import instruction
from memsvc.operations.extract.types import (
    EntityCandidate,
    ExtractionContext,
    ExtractionResult,
    FactCandidate,
    ProcedureCandidate,
)

from memsvc.domain import MemoryUnit

WHEN = "2023-05-08T14:00:00+00:00"


class CannedExtractor:
    """Returns the same candidates, re-sourced to the first turn of each batch."""

    name = "canned"
    version = "0"

    def __init__(self, facts: list[FactCandidate], entities: list[EntityCandidate]) -> None:
        self._facts = facts
        self._entities = entities

    def extract(self, turns: Sequence[MemoryUnit], context: ExtractionContext) -> ExtractionResult:
        ids = [turns[0].id]
        result = ExtractionResult(self.name, self.version)
        for f in self._facts:
            result.facts.append(
                FactCandidate(
                    f.text,
                    f.subject,
                    f.predicate,
                    f.object,
                    f.kind,
                    ids,
                    f.confidence,
                    f.producer,
                    f.occurred_at,
                    f.valid_from,
                    f.rule,
                )
            )
        result.entities = [
            EntityCandidate(e.name, e.type, ids, e.confidence) for e in self._entities
        ]
        return result


def item(facts: list[dict[str, Any]], entities: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": "L1",
        "conversation": None,
        "role": "user",
        "speaker": None,
        "occurred_at": WHEN,
        "text": "I went to a jazz concert yesterday and I live in Oslo.",
        "facts": facts,
        "entities": entities,
    }


def fact(predicate: str, obj: str, confidence: float = 0.8, day: int = 7) -> FactCandidate:
    when = datetime(2023, 5, day, tzinfo=UTC)
    return FactCandidate("...", "the user", predicate, obj, "event", [], confidence, "x/1", when)


def test_normalise_drops_case_punctuation_articles_and_the_speakers_possessive() -> None:
    assert normalise("The user's new Bike!", "the user") == "new bike"
    assert normalise("my grandmother in Chicago") == "grandmother in chicago"
    assert normalise("Jonas's living room", "Jonas") == "living room"


def test_counts_true_and_false_hits_misses_and_dates() -> None:
    gold = item(
        [
            {
                "subject": "the user",
                "predicate": "attended",
                "object": "jazz concert",
                "kind": "event",
                "date": "2023-05-07",
            },
            {"subject": "the user", "predicate": "lives_in", "object": "Oslo", "kind": "fact"},
        ],
        [{"name": "Oslo", "type": "place"}],
    )
    extractor = CannedExtractor(
        [fact("attended", "a Jazz Concert"), fact("likes", "jazz")],
        [EntityCandidate("Oslo", "place", [], 0.9), EntityCandidate("Jazz", "other", [], 0.4)],
    )

    scores = evaluate([gold], extractor)

    assert (scores.facts.tp, scores.facts.fp, scores.facts.fn) == (1, 1, 1)
    assert (scores.entities.tp, scores.entities.fp, scores.entities.fn) == (1, 1, 0)
    assert (scores.dates.tp, scores.dates.fp) == (1, 0)
    assert scores.facts.precision == 0.5
    assert "| facts (all) | 1 | 1 | 1 | 50.0% | 50.0% |" in table(scores)


def test_min_confidence_leaves_out_weak_candidates_and_wrong_dates_count() -> None:
    gold = item(
        [
            {
                "subject": "the user",
                "predicate": "attended",
                "object": "jazz concert",
                "kind": "event",
                "date": "2023-05-07",
            }
        ],
        [],
    )
    extractor = CannedExtractor(
        [fact("attended", "jazz concert", day=6), fact("likes", "jazz", confidence=0.3)],
        [EntityCandidate("Jazz", "other", [], 0.4)],
    )

    scores = evaluate([gold], extractor, min_confidence=0.5)

    assert (scores.facts.tp, scores.facts.fp) == (1, 0)
    assert (scores.entities.tp, scores.entities.fp) == (0, 0)
    assert (scores.dates.tp, scores.dates.fp) == (0, 1)


class CannedProcedures:
    """Returns the given procedures (goal, step texts), sourced to the first turn."""

    name = "canned"
    version = "0"

    def __init__(self, *procedures: tuple[str, list[str]]) -> None:
        self._procedures = procedures

    def extract(self, turns: Sequence[MemoryUnit], context: ExtractionContext) -> ExtractionResult:
        result = ExtractionResult(self.name, self.version)
        result.procedures = [
            ProcedureCandidate(goal, [instruction(s) for s in steps], None, [turns[0].id], 0.8)
            for goal, steps in self._procedures
        ]
        return result


def test_procedures_match_by_goal_and_steps_in_order_only_on_rows_labelled_with_them() -> None:
    labelled = item([], []) | {
        "procedures": [{"goal": "deploy the app", "steps": ["make build", "kubectl apply"]}]
    }
    right = ("deploy the app", ["run make build", "kubectl apply -f deploy.yaml"])
    swapped = ("deploy the app", ["kubectl apply -f deploy.yaml", "run make build"])

    assert evaluate([labelled], CannedProcedures(right)).procedures.tp == 1
    wrong = evaluate([labelled], CannedProcedures(swapped)).procedures
    assert (wrong.tp, wrong.fp, wrong.fn) == (0, 1, 1)
    unlabelled = evaluate([item([], [])], CannedProcedures(right)).procedures
    assert (unlabelled.tp, unlabelled.fp, unlabelled.fn) == (0, 0, 0)


def test_the_labelled_set_is_well_formed() -> None:
    items = load(DEFAULT_DATA)

    assert 60 <= len(items) <= 250
    assert len({i["id"] for i in items}) == len(items)
    kinds = {f["kind"] for i in items for f in i["facts"]}
    assert kinds <= {"fact", "preference", "plan", "event", "profile"}
    assert sum(1 for i in items if not i["facts"]) >= 25  # turns that must yield nothing
    assert any(i["role"] == "assistant" for i in items)
    assert any(i.get("speaker") for i in items)
    assert {i["split"] for i in items} == {"dev", "heldout"}
    labelled = [p for i in items for p in i.get("procedures", [])]
    assert labelled and all(p["goal"] and len(p["steps"]) >= 2 for p in labelled)


def test_rules_extractor_keeps_its_precision_on_the_labelled_set() -> None:
    """A floor, below the measured numbers (see the eval's output): a drop means a rule
    change made memory noisier."""
    scores = evaluate(load(DEFAULT_DATA), RulesExtractor(), min_confidence=0.5)

    assert scores.facts.precision is not None and scores.facts.precision >= 0.9
    assert scores.facts.recall is not None and scores.facts.recall >= 0.75
    assert scores.entities.precision is not None and scores.entities.precision >= 0.85
    assert scores.noisy_turns <= 2
