"""Lexical search. SQLite: an FTS5 table (porter stemming, bm25) maintained in the same
transaction as the units, with one `part` token per partition for scoped MATCH queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import Stemmer
from memsvc.stores.partitions import partition_token
from memsvc.stores.tables import UnitRow
from memsvc.stores.units import UnitFilter, apply_filter
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    column,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from memsvc.domain.auth import TenantRef
from memsvc.domain.filters import LexicalSearch
from memsvc.domain.text import content_words

MAX_QUERY_TERMS = 64
FTS = table("units_fts", column("rowid"), column("content"), column("part"))
VOCAB = table("units_fts_vocab", column("term"), column("doc"))
LARGE = 5000  # documents in the searched partitions above which common terms are dropped
COMMON = 0.05  # ...a term in more than this share of them (global counts, an upper bound)
# FTS5's porter tokenizer stems with the original Porter algorithm; PyStemmer has it too.
_PORTER = Stemmer.Stemmer("porter")


class SqliteFts:
    """`LexicalIndex` on SQLite's FTS5."""

    def __init__(self, session: Session, tenant: TenantRef, large: int = LARGE) -> None:
        self._session = session
        self._tenant = tenant
        self._large = large

    def put(self, seq: int, partition: str, content: str) -> None:
        self.drop([seq])
        self._session.execute(
            text("INSERT INTO units_fts(rowid, content, part) VALUES (:seq, :content, :part)"),
            {"seq": seq, "content": content, "part": partition_token(partition)},
        )

    def put_new(self, items: Sequence[tuple[int, str, str]]) -> None:
        """Index units not indexed yet, (seq, partition, text) each, in one statement."""
        if items:
            self._session.execute(
                text("INSERT INTO units_fts(rowid, content, part) VALUES (:seq, :content, :part)"),
                [{"seq": s, "content": c, "part": partition_token(p)} for s, p, c in items],
            )

    def drop(self, seqs: Sequence[int]) -> None:
        for i in range(0, len(seqs), 500):
            marks = ",".join(str(int(s)) for s in seqs[i : i + 500])
            self._session.execute(text(f"DELETE FROM units_fts WHERE rowid IN ({marks})"))

    def search(
        self, partitions: Sequence[str], query: str, k: int, where: UnitFilter
    ) -> list[tuple[int, float]]:
        terms = self._selective(self._size(partitions), query_terms(query))
        match = fts_match(partitions, " ".join(terms))
        if match is None or k <= 0:
            return []
        stmt = self._matches(match, where).limit(k)
        # FTS5's bm25() is negative (lower is better); flip it so higher is better everywhere.
        return [(int(r[0]), -float(r[1])) for r in self._session.execute(stmt)]

    def search_many(
        self, searches: Sequence[LexicalSearch], query: str, k: int
    ) -> list[list[tuple[int, float]]]:
        """Lists on small partitions (every term kept) whose filters differ only in
        granularity and time window share one MATCH: bm25() counts each query term's
        documents over the whole table once per statement, and on a store of many scopes
        that count is most of a list's time. Each list is the one `search` returns: the same
        scores, cut at k in the same order. (Units of equal score keep FTS5's row order in
        both statements: SQLite's sorter has kept it in every comparison run, on 2,046
        questions and in tests/integration/test_lexical_groups.py, though its documentation
        does not promise it.)"""
        sizes = self._sizes([s.partitions for s in searches])
        out: list[list[tuple[int, float]] | None] = [None] * len(searches)
        shared: dict[UnitFilter, list[int]] = {}
        for i, s in enumerate(searches):
            if s.partitions and sizes[i] < self._large and len(s.where.granularities or ()) == 1:
                shared.setdefault(_apart_from_kind_and_time(s.where), []).append(i)
        for indices in (ix for ix in shared.values() if len(ix) > 1):
            found = self._together([searches[i] for i in indices], query, k)
            for i, ranked in zip(indices, found):
                out[i] = ranked
        return [
            ranked if ranked is not None else self.search(s.partitions, query, k, s.where)
            for ranked, s in zip(out, searches)
        ]

    def _together(
        self, searches: Sequence[LexicalSearch], query: str, k: int
    ) -> list[list[tuple[int, float]]]:
        partitions = list(dict.fromkeys(p for s in searches for p in s.partitions))
        match = fts_match(partitions, " ".join(query_terms(query)))  # as `search` on small ones
        if match is None or k <= 0:
            return [[] for _ in searches]
        kinds = tuple(dict.fromkeys(g for s in searches for g in s.where.granularities or ()))
        where = replace(_apart_from_kind_and_time(searches[0].where), granularities=kinds)
        # Whether a row is in each list's window: the comparisons `search` makes in SQL.
        windows = [_window(s.where) for s in searches]
        marks = [case((w, 1), else_=0) for w in windows if w is not None]
        stmt = self._matches(match, where, FTS.c.part, UnitRow.granularity, *marks)
        return _split(self._session.execute(stmt), searches, [w is not None for w in windows], k)

    def _matches(self, match: str, where: UnitFilter, *columns: Any) -> Select[Any]:
        """(seq, bm25, *columns) of the units matching, best first."""
        score: ColumnClause[float] = literal_column("bm25(units_fts, 1.0, 0.0)")
        stmt = (
            select(FTS.c.rowid, score, *columns)
            .select_from(FTS.join(UnitRow, UnitRow.seq == FTS.c.rowid))
            .where(text("units_fts MATCH :m").bindparams(m=match))
        )
        return apply_filter(stmt, self._tenant, where).order_by(score)

    def _size(self, partitions: Sequence[str]) -> int:
        """Documents in the partitions."""
        return sum(self._doc_counts(_tokens(partitions)).values())

    def _sizes(self, groups: Sequence[Sequence[str]]) -> list[int]:
        """Documents in each group of partitions (one statement)."""
        tokens = [_tokens(parts) for parts in groups]
        counts = self._doc_counts(list({t for ts in tokens for t in ts}))
        return [sum(counts.get(t, 0) for t in ts) for ts in tokens]

    def _selective(self, size: int, terms: list[str]) -> list[str]:
        """On a large partition (`size` documents), drop the terms found in more than COMMON
        of its documents: BM25 gives them little weight, yet FTS5 scores every document they
        match, so they decide the cost (a query of common words only leaves the lexical list
        empty and dense retrieval answers). Small partitions keep every term."""
        if size < self._large:
            return terms
        stems = dict(zip(terms, _PORTER.stemWords(terms), strict=True))
        counts = self._doc_counts(list(set(stems.values())))
        return [t for t in terms if counts.get(stems[t], 0) <= COMMON * size]

    def _doc_counts(self, terms: list[str]) -> dict[str, int]:
        """Documents containing each (stemmed) term, over the whole table."""
        rows = self._session.execute(
            select(VOCAB.c.term, VOCAB.c.doc).where(VOCAB.c.term.in_(terms))
        )
        return {str(term): int(doc) for term, doc in rows}


def _split(
    rows: Iterable[Any], searches: Sequence[LexicalSearch], windowed: list[bool], k: int
) -> list[list[tuple[int, float]]]:
    """Each list's first k rows (best first): those of its partitions and granularity, and
    inside its window (the row's mark for that list, when the list has a window)."""
    out: list[list[tuple[int, float]]] = [[] for _ in searches]
    # (partition token as stored, granularity) -> the lists such a row may go to, with the
    # position of their window mark in the row (None: no window).
    routes: dict[tuple[str, str], list[tuple[list[tuple[int, float]], int | None]]] = {}
    marks = iter(range(len(searches)))
    for found, search, has_window in zip(out, searches, windowed):
        mark = next(marks) if has_window else None
        for partition in search.partitions:
            for granularity in search.where.granularities or ():
                key = (partition_token(partition), str(granularity))
                routes.setdefault(key, []).append((found, mark))
    for seq, score, part, granularity, *inside in rows:
        for found, mark in routes.get((part, granularity), ()):
            if len(found) < k and (mark is None or inside[mark]):
                # FTS5's bm25() is negative (lower is better): flipped as `search` does.
                found.append((int(seq), -float(score)))
    return out


def _apart_from_kind_and_time(where: UnitFilter) -> UnitFilter:
    return replace(where, granularities=None, occurred_from=None, occurred_to=None)


def _window(where: UnitFilter) -> ColumnElement[bool] | None:
    """The filter's time window as `apply_filter` writes it, or None."""
    bounds = []
    if where.occurred_from is not None:
        bounds.append(UnitRow.occurred_at >= where.occurred_from)
    if where.occurred_to is not None:
        bounds.append(UnitRow.occurred_at < where.occurred_to)
    return and_(*bounds) if bounds else None


def _tokens(partitions: Sequence[str]) -> list[str]:
    """The partitions' tokens as the vocabulary holds them (stemmed by the porter tokenizer)."""
    return list(_PORTER.stemWords([partition_token(p) for p in partitions]))


def query_terms(query: str) -> list[str]:
    return list(dict.fromkeys(content_words(query)))[:MAX_QUERY_TERMS]


def fts_match(partitions: Sequence[str], query: str) -> str | None:
    terms = query_terms(query)
    if not terms or not partitions:
        return None
    parts = " OR ".join(partition_token(p) for p in partitions)
    # Double quotes make every term a literal string: no FTS5 operator injection.
    words = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return f"part:({parts}) AND content:({words})"
