"""Lexical search. SQLite: an FTS5 table (porter stemming, bm25) maintained in the same
transaction as the units, with one `part` token per partition for scoped MATCH queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from memsvc.stores.partitions import partition_token
from memsvc.stores.tables import UnitRow
from memsvc.stores.units import UnitFilter, apply_filter
from sqlalchemy import column, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from memsvc.domain.text import content_words

MAX_QUERY_TERMS = 64
FTS = table("units_fts", column("rowid"), column("content"), column("part"))


class LexicalIndex(Protocol):
    def put(self, seq: int, partition: str, content: str) -> None: ...

    def drop(self, seqs: Sequence[int]) -> None: ...

    def search(
        self, partitions: Sequence[str], query: str, k: int, where: UnitFilter
    ) -> list[tuple[int, float]]:
        """Top-k (unit seq, score) by BM25 within the partitions; higher score is better."""
        ...


class SqliteFts:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def put(self, seq: int, partition: str, content: str) -> None:
        self.drop([seq])
        self._session.execute(
            text("INSERT INTO units_fts(rowid, content, part) VALUES (:seq, :content, :part)"),
            {"seq": seq, "content": content, "part": partition_token(partition)},
        )

    def drop(self, seqs: Sequence[int]) -> None:
        for i in range(0, len(seqs), 500):
            marks = ",".join(str(int(s)) for s in seqs[i : i + 500])
            self._session.execute(text(f"DELETE FROM units_fts WHERE rowid IN ({marks})"))

    def search(
        self, partitions: Sequence[str], query: str, k: int, where: UnitFilter
    ) -> list[tuple[int, float]]:
        match = fts_match(partitions, query)
        if match is None or k <= 0:
            return []
        score: ColumnClause[float] = literal_column("bm25(units_fts, 1.0, 0.0)")
        stmt = (
            select(FTS.c.rowid, score)
            .select_from(FTS.join(UnitRow, UnitRow.seq == FTS.c.rowid))
            .where(text("units_fts MATCH :m").bindparams(m=match))
        )
        stmt = apply_filter(stmt, self._tenant_id, where).order_by(score).limit(k)
        # FTS5's bm25() is negative (lower is better); flip it so higher is better everywhere.
        return [(int(r[0]), -float(r[1])) for r in self._session.execute(stmt)]


def fts_match(partitions: Sequence[str], query: str) -> str | None:
    terms = list(dict.fromkeys(content_words(query)))[:MAX_QUERY_TERMS]
    if not terms or not partitions:
        return None
    parts = " OR ".join(partition_token(p) for p in partitions)
    # Double quotes make every term a literal string: no FTS5 operator injection.
    words = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return f"part:({parts}) AND content:({words})"
