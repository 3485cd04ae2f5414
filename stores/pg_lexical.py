"""Lexical search on PostgreSQL: a `tsvector` per unit in `unit_lexical` (GIN-indexed, English
stemming), kept in the same transaction as the units, scoped by partition and by the same
tenancy and filters as every unit query (`apply_filter`).

Ranking is BM25 computed in SQL, as FTS5's `bm25()` ranks on SQLite: `ts_rank` knows nothing
of how rare a term is, and a rare name should outweigh a common verb. Term frequencies come
from the tsvector's positions, document frequencies and the average length from the searched
partitions (a fairer corpus than FTS5's whole table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memsvc.stores.lexical import query_terms
from memsvc.stores.tables import UnitRow
from memsvc.stores.units import apply_filter
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.types import BigInteger

from memsvc.domain.auth import TenantRef
from memsvc.domain.filters import LexicalSearch, UnitFilter

CONFIG: ColumnClause[Any] = literal_column("'english'::regconfig")
K1, B = 1.2, 0.75  # BM25's usual constants (FTS5 uses the same)
STATS_SAMPLE = 50_000  # partition rows read for N and the average length
_INSERT = text(
    "INSERT INTO unit_lexical (seq, partition, tsv) "
    "VALUES (:seq, :part, to_tsvector('english'::regconfig, :content))"
)
LEXICAL = Table(
    "unit_lexical",
    MetaData(),
    Column("seq", BigInteger, primary_key=True),
    Column("partition", String(512)),
    Column("tsv", TSVECTOR),
    Column("dl", Integer),  # generated: lexemes in tsv
)


class PgLexical:
    """`LexicalIndex` on PostgreSQL full-text search."""

    def __init__(self, session: Session, tenant: TenantRef) -> None:
        self._session = session
        self._tenant = tenant

    def put(self, seq: int, partition: str, content: str) -> None:
        self.drop([seq])
        self.put_new([(seq, partition, content)])

    def put_new(self, items: Sequence[tuple[int, str, str]]) -> None:
        if not items:
            return
        self._session.execute(
            _INSERT, [{"seq": s, "part": p, "content": _clean(c)} for s, p, c in items]
        )

    def drop(self, seqs: Sequence[int]) -> None:
        for i in range(0, len(seqs), 500):
            chunk = [int(s) for s in seqs[i : i + 500]]
            self._session.execute(delete(LEXICAL).where(LEXICAL.c.seq.in_(chunk)))

    def search(
        self, partitions: Sequence[str], query: str, k: int, where: UnitFilter
    ) -> list[tuple[int, float]]:
        terms = query_terms(query)
        if not terms or not partitions or k <= 0:
            return []
        lexemes = self._lexemes(" ".join(terms))
        if not lexemes:
            return []
        stmt = _bm25(self._tenant, list(partitions), lexemes, " or ".join(terms), where)
        rows = self._session.execute(stmt.limit(int(k)))
        return [(int(seq), float(score)) for seq, score in rows]

    def search_many(
        self, searches: Sequence[LexicalSearch], query: str, k: int
    ) -> list[list[tuple[int, float]]]:
        """One statement per list: BM25's statistics here are those of the searched
        partitions, so lists of different partitions cannot share a query."""
        return [self.search(s.partitions, query, k, s.where) for s in searches]

    def _lexemes(self, text: str) -> list[str]:
        """The query's words as the index stores them (stemmed, stop words gone)."""
        t = func.unnest(func.to_tsvector(CONFIG, text)).table_valued("lexeme")
        return [str(x) for x in self._session.scalars(select(t.c.lexeme))]


def _bm25(
    tenant: TenantRef, partitions: list[str], lexemes: list[str], words: str, where: UnitFilter
) -> Any:
    lex = LEXICAL.c
    tsquery = func.websearch_to_tsquery(CONFIG, words)  # "a or b": any term; never a syntax error
    docs = apply_filter(
        select(lex.seq, lex.tsv, lex.dl)
        .select_from(LEXICAL.join(UnitRow, UnitRow.seq == lex.seq))
        .where(lex.partition.in_(partitions), lex.tsv.op("@@")(tsquery)),
        tenant,
        where,
    ).cte("docs")
    unnested = func.unnest(docs.c.tsv).table_valued("lexeme", "positions").lateral("t")
    terms = (
        select(
            docs.c.seq,
            docs.c.dl,
            unnested.c.lexeme,
            func.cardinality(unnested.c.positions).label("tf"),
        )
        .select_from(docs.join(unnested, true()))
        .where(unnested.c.lexeme.in_(lexemes))
        .cte("terms")
    )
    df = select(terms.c.lexeme, func.count().label("df")).group_by(terms.c.lexeme).cte("df")
    sample = select(lex.dl).where(lex.partition.in_(partitions)).limit(STATS_SAMPLE).subquery()
    stats = select(
        func.count().label("n"), func.coalesce(func.avg(sample.c.dl), 1).label("avgdl")
    ).cte("stats")
    n = func.greatest(stats.c.n, df.c.df)
    idf = func.ln(1 + (n - df.c.df + 0.5) / (df.c.df + 0.5))
    tf = terms.c.tf.cast(Float)
    norm = tf + K1 * (1 - B + B * terms.c.dl / func.greatest(stats.c.avgdl, 1))
    score = func.sum(idf * tf * (K1 + 1) / norm).label("score")
    return (
        select(terms.c.seq, score)
        .select_from(terms.join(df, df.c.lexeme == terms.c.lexeme).join(stats, true()))
        .group_by(terms.c.seq)
        .order_by(score.desc(), terms.c.seq)
    )


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL characters."""
    return text.replace("\x00", " ")
