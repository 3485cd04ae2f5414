"""One procedure from many runs: traces of the same goal merged into one unit's attributes.

Pure functions over the JSON a procedure unit keeps in `attributes`:

- `traces`: one entry per run (`id` = its first turn, so re-extracting a session that grew
  updates the run instead of counting it twice) or per reported outcome (`kind` feedback),
  with the path it took, its outcome and its notes (tool errors, the agent's last word);
- `paths`: each distinct sequence of steps seen (tool + argument pattern, or instruction),
  with success/failure counts, best first by the Wilson bounds of its record (see
  `memsvc.domain.reliability`); counts of traces dropped beyond `MAX_TRACES` are folded in;
- `steps` (texts) and `step_details`: the recommended path, each step with the variants
  seen at its place in other paths (another argument, another tool, "(skipped)") and their
  counts, best first;
- `goal`, `goals` (the phrasings heard, with counts), `preconditions`;
- `success_count`, `failure_count`, `runs`, and `reliability`: the recommended path's
  Wilson bounds, whether it keeps failing, and a one-line summary ("succeeded 7 of 8 times;
  failed when push_image: 503 registry unavailable").
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from memsvc.operations.extract.steps import step_from_dict
from memsvc.operations.extract.types import ProcedureCandidate

from memsvc.domain.reliability import Reliability

MAX_TRACES = 200  # per procedure; older runs are folded into their path's counts
MAX_GOALS = 20
MAX_NOTES = 2  # failure notes quoted in the summary
SKIPPED = "(skipped)"

Attrs = dict[str, Any]


def path_id(steps: Sequence[Mapping[str, Any]]) -> str:
    text = "\n".join(str(s.get("text", "")) for s in steps)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def from_candidate(candidate: ProcedureCandidate, at: str | None) -> Attrs:
    """The attributes of a procedure known from this one run."""
    steps = [s.as_dict() for s in candidate.steps]
    trace = {
        "id": candidate.source_turn_ids[0] if candidate.source_turn_ids else "",
        "kind": "trace",
        "path": path_id(steps),
        "outcome": candidate.outcome,
        "notes": list(candidate.notes),
        "at": at,
    }
    attrs: Attrs = {
        "goal": candidate.goal,
        "goals": [{"text": candidate.goal, "count": 1}],
        "preconditions": list(candidate.preconditions),
        "paths": [{"id": trace["path"], "steps": steps, "folded": _zero()}],
        "traces": [trace],
    }
    return summarise(attrs)


def merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> Attrs:
    """`old` with the runs, paths, phrasings and preconditions of `new` (a run already in
    `old` is replaced by its newer version)."""
    incoming = {t["id"] for t in new.get("traces", [])}
    traces = [t for t in old.get("traces", []) if t["id"] not in incoming]
    traces += list(new.get("traces", []))
    known = {p["id"] for p in old.get("paths", [])}
    paths = list(old.get("paths", [])) + [p for p in new.get("paths", []) if p["id"] not in known]
    replaced = [t for t in old.get("traces", []) if t["id"] in incoming]
    goals = Counter({g["text"]: g["count"] for g in old.get("goals", [])})
    if not replaced:  # a run heard again is not a new phrasing
        goals.update({g["text"]: g["count"] for g in new.get("goals", [])})
    preconditions = list(
        dict.fromkeys([*old.get("preconditions", []), *new.get("preconditions", [])])
    )
    attrs = {**old, "traces": traces, "paths": paths, "preconditions": preconditions}
    attrs["goals"] = [{"text": t, "count": c} for t, c in goals.most_common(MAX_GOALS)]
    return summarise(attrs)


def with_feedback(attrs: Mapping[str, Any], entry: Mapping[str, Any]) -> Attrs:
    """`attrs` with one reported outcome of following the recommended steps."""
    paths = attrs.get("paths", [])
    feedback = {**entry, "kind": "feedback", "path": paths[0]["id"] if paths else None}
    return summarise({**attrs, "traces": [*attrs.get("traces", []), feedback]})


def summarise(attrs: Mapping[str, Any]) -> Attrs:
    """Recompute everything derived from the traces and paths: counts, order of paths, the
    recommended steps with their variants, reliability and its summary."""
    traces = list(attrs.get("traces", []))
    paths = [dict(p) for p in attrs.get("paths", [])]
    traces, paths = _fold(traces, paths)
    live = {p["id"] for p in paths}
    traces = [t for t in traces if t.get("path") in live or t.get("path") is None]
    for path in paths:
        path.update(_path_counts(path, traces))
    order = {p["id"]: i for i, p in enumerate(paths)}
    paths.sort(key=lambda p: (-_record(p).net, -p["runs"], order[p["id"]]))
    best: dict[str, Any] = paths[0] if paths else {"steps": [], **_zero()}
    goals = attrs.get("goals") or [{"text": attrs.get("goal", ""), "count": 1}]
    out: Attrs = {
        **attrs,
        "goal": max(goals, key=lambda g: g["count"])["text"] if goals else attrs.get("goal"),
        "traces": traces,
        "paths": paths,
        "steps": [s["text"] for s in best["steps"]],
        "step_details": step_details(paths),
        "success_count": sum(t.get("outcome") == "success" for t in traces)
        + sum(p["folded"]["success"] for p in paths),
        "failure_count": sum(t.get("outcome") == "failure" for t in traces)
        + sum(p["folded"]["failure"] for p in paths),
        "runs": len(traces) + sum(p["folded"]["runs"] for p in paths),
    }
    out["reliability"] = reliability(out, best, traces)
    return out


def _zero() -> dict[str, int]:
    return {"success": 0, "failure": 0, "runs": 0}


def _fold(
    traces: list[dict[str, Any]], paths: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Keep the newest `MAX_TRACES` runs; older ones live on as their path's counts. Paths
    that no run took any more (a run re-extracted onto another path) are dropped."""
    for path in paths:
        path.setdefault("folded", _zero())
    if len(traces) > MAX_TRACES:
        by_id = {p["id"]: p for p in paths}
        for old in traces[: len(traces) - MAX_TRACES]:
            folded = by_id.get(old.get("path") or "", {}).get("folded")
            if folded is not None:
                folded["runs"] += 1
                if old.get("outcome") in ("success", "failure"):
                    folded[old["outcome"]] += 1
        traces = traces[len(traces) - MAX_TRACES :]
    used = {t.get("path") for t in traces}
    paths = [p for p in paths if p["id"] in used or p["folded"]["runs"]]
    return traces, paths


def _path_counts(path: Mapping[str, Any], traces: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    mine = [t for t in traces if t.get("path") == path["id"]]
    folded = path["folded"]
    return {
        "success": folded["success"] + sum(t.get("outcome") == "success" for t in mine),
        "failure": folded["failure"] + sum(t.get("outcome") == "failure" for t in mine),
        "runs": folded["runs"] + len(mine),
    }


def _record(counts: Mapping[str, Any]) -> Reliability:
    return Reliability(int(counts.get("success", 0)), int(counts.get("failure", 0)))


def step_details(paths: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The recommended path's steps, each with the variants other paths had in its place."""
    if not paths:
        return []
    best = paths[0]["steps"]
    tallies: list[dict[str, Counter[str]]] = [{} for _ in best]
    for path in paths:
        for i, text in _aligned(best, path["steps"]):
            counts = tallies[i].setdefault(text, Counter())
            counts.update({k: int(path[k]) for k in ("success", "failure", "runs")})
    out = []
    for step, tally in zip(best, tallies):
        variants: list[dict[str, Any]] = [{"text": t, **c} for t, c in tally.items()]
        variants.sort(key=lambda v: (-_record(v).net, -v.get("runs", 0)))
        out.append({**step, "variants": variants})
    return out


def _aligned(
    best: Sequence[Mapping[str, Any]], other: Sequence[Mapping[str, Any]]
) -> list[tuple[int, str]]:
    """(index in `best`, text of `other` there): same-slot steps align; a step `other` lacks
    is "(skipped)"; steps only `other` has are left out."""
    slots = [_slot(s) for s in best], [_slot(s) for s in other]
    matcher = SequenceMatcher(None, slots[0], slots[1], autojunk=False)
    out: list[tuple[int, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            out += [(i1 + k, str(other[j1 + k]["text"])) for k in range(min(i2 - i1, j2 - j1))]
            out += [(i, SKIPPED) for i in range(i1 + min(i2 - i1, j2 - j1), i2)]
        elif tag == "delete":
            out += [(i, SKIPPED) for i in range(i1, i2)]
    return out


def _slot(step: Mapping[str, Any]) -> str:
    return step_from_dict(step).slot


def reliability(attrs: Mapping[str, Any], best: Mapping[str, Any], traces: list) -> Attrs:
    """The recommended path's record, whether the procedure keeps failing (most of its runs
    fail, with 95% confidence, and no path has shown it works), and the one-line
    explanation a search hit shows."""
    record = _record(best)
    overall = Reliability(attrs["success_count"], attrs["failure_count"])
    return {
        "lower": round(record.lower, 4),
        "net": round(record.net, 4),
        "keeps_failing": overall.keeps_failing and record.net <= 0,
        "summary": summary(attrs, best, traces),
    }


def summary(attrs: Mapping[str, Any], best: Mapping[str, Any], traces: list) -> str:
    """ "succeeded 7 of 8 times; failed when push_image: 503 registry unavailable"."""
    done = attrs["success_count"] + attrs["failure_count"]
    if not done:
        runs = attrs["runs"]
        parts = [f"no known outcome yet ({runs} run{'s' if runs != 1 else ''})"]
    else:
        parts = [f"succeeded {attrs['success_count']} of {done} time{'s' if done != 1 else ''}"]
    notes = Counter(n for t in traces if t.get("outcome") == "failure" for n in t.get("notes", []))
    if notes:
        parts.append("failed when " + "; ".join(n for n, _ in notes.most_common(MAX_NOTES)))
    if len(attrs["paths"]) > 1:
        tried = best["success"] + best["failure"]
        parts.append(
            f"these steps succeeded {best['success']} of {tried}"
            f" ({len(attrs['paths']) - 1} other variant{'s' if len(attrs['paths']) > 2 else ''})"
        )
    overall = Reliability(attrs["success_count"], attrs["failure_count"])
    if overall.keeps_failing and _record(best).net <= 0:
        parts.append("keeps failing")
    return "; ".join(parts)


def embedding_text(attrs: Mapping[str, Any]) -> str:
    """What a procedure's vector is made from: what it is for (its goal and the other ways it
    was asked for), not its steps, since a how-to query paraphrases a goal; the lexical index
    reads the steps too (`render`)."""
    goal = str(attrs.get("goal", ""))
    others = [g["text"] for g in attrs.get("goals", []) if g["text"] != goal][:3]
    return f"{goal} (also: {'; '.join(others)})" if others else goal


def render(attrs: Mapping[str, Any]) -> str:
    """The text a procedure is searched under: its goal, other phrasings of it, and the
    recommended steps."""
    head = embedding_text(attrs)
    steps = "; ".join(attrs.get("steps", []))
    return f"{head}: {steps}" if steps else head
