"""Speed of the `rules` extractor alone (no store, no embedding) on a dataset's sessions.

    python -m memsvc.evals.extraction_speed --data locomo10.json

Each session is one batch, as the write path extracts it, with every speaking role treated as
a person (LoCoMo's two speakers; LongMemEval's user). Prints turns, seconds, seconds per
1,000 turns, and the candidates per kind above the write path's confidence floor.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from memsvc.evals.loaders import Haystack, Kind, load
from memsvc.operations.extract.rules import RulesExtractor
from memsvc.operations.extract.types import ExtractionContext, ExtractionResult
from tqdm import tqdm

from memsvc.domain import Granularity, MemoryUnit, Scope
from memsvc.settings import Settings


def extract_haystack(extractor: RulesExtractor, haystack: Haystack) -> list[ExtractionResult]:
    results = []
    for session in haystack.sessions:
        scope = Scope("eval", haystack.scope_id, None, session.session_id)
        turns = [
            MemoryUnit(
                id=t.client_id,
                scope=scope,
                granularity=Granularity.TURN,
                content=t.content,
                attributes={"role": t.role, "speaker": t.speaker, "position": i},
                occurred_at=session.occurred_at,
            )
            for i, t in enumerate(session.turns)
        ]
        roles = frozenset({"user"} | {t.role for t in session.turns if t.speaker})
        context = ExtractionContext(
            scope=scope, session_time=session.occurred_at, person_roles=roles
        )
        results.append(extractor.extract(turns, context))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--kind", choices=("locomo", "longmemeval"), default=None)
    args = parser.parse_args()
    kind: Kind = args.kind or ("locomo" if "locomo" in args.data.name else "longmemeval")
    dataset = load(args.data, kind)
    floor = Settings().extraction.min_confidence
    extractor = RulesExtractor()
    turns, seconds, counts = 0, 0.0, Counter[str]()
    for haystack in tqdm(list(dataset.haystacks.values()), desc="extract", unit="scope"):
        start = time.perf_counter()
        results = extract_haystack(extractor, haystack)
        seconds += time.perf_counter() - start
        turns += sum(len(s.turns) for s in haystack.sessions)
        for r in results:
            counts.update(f"fact/{f.kind}" for f in r.facts if f.confidence >= floor)
            counts["entity"] += sum(1 for e in r.entities if e.confidence >= floor)
            counts["relation"] += sum(1 for x in r.relations if x.confidence >= floor)
            counts["procedure"] += len(r.procedures)
    print(f"{dataset.name}: {turns} turns in {len(dataset.haystacks)} scopes")
    print(
        f"rules extractor: {seconds:.2f} s, {1000 * seconds / max(turns, 1):.2f} s per 1,000 turns"
    )
    kinds = dict(sorted(counts.items()))
    print(f"candidates (confidence >= {floor:.2f}, before dedupe): {kinds}")


if __name__ == "__main__":
    main()
