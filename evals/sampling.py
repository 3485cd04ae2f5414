"""Stratified question samples for quick iterations (`--sample N --seed S`)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from memsvc.evals.loaders import Question


def stratified_sample(questions: Sequence[Question], n: int, seed: int) -> list[Question]:
    """`n` questions drawn without replacement, allocated to question types (and, within a
    type, scored vs excluded) in proportion to their size by largest remainder; every stratum
    with questions gets at least one when `n` allows. Returned in the file's order."""
    if n >= len(questions):
        return list(questions)
    strata: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        strata[(q.qtype, q.excluded is None)].append(i)
    quotas = _allocate({key: len(ids) for key, ids in strata.items()}, n)
    rng = random.Random(seed)
    chosen: list[int] = []
    for key in sorted(strata):
        chosen.extend(rng.sample(strata[key], quotas[key]))
    return [questions[i] for i in sorted(chosen)]


def _allocate(sizes: dict[tuple[str, bool], int], n: int) -> dict[tuple[str, bool], int]:
    total = sum(sizes.values())
    keys = sorted(sizes)
    exact = {k: n * sizes[k] / total for k in keys}
    quotas = {k: int(exact[k]) for k in keys}
    if n >= len(keys):  # a tiny stratum still shows up in a sample
        for k in keys:
            quotas[k] = max(quotas[k], 1)
    by_remainder = sorted(keys, key=lambda k: (-(exact[k] - int(exact[k])), k))
    i = 0
    while sum(quotas.values()) < n:
        k = by_remainder[i % len(keys)]
        if quotas[k] < sizes[k]:
            quotas[k] += 1
        i += 1
    while sum(quotas.values()) > n:  # the minimum of one overshot: trim the largest
        k = max(keys, key=lambda key: (quotas[key], key))
        quotas[k] -= 1
    return quotas
