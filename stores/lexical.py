"""Lexical search. SQLite: an FTS5 table (porter stemming, bm25) maintained in the same
transaction as the units, with one `part` token per partition for scoped MATCH queries."""

from __future__ import annotations

from collections.abc import Sequence

import Stemmer
from memsvc.stores.partitions import partition_token
from memsvc.stores.tables import UnitRow
from memsvc.stores.units import UnitFilter, apply_filter
from sqlalchemy import column, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from memsvc.domain.auth import TenantRef
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
        terms = self._selective(partitions, query_terms(query))
        match = fts_match(partitions, " ".join(terms))
        if match is None or k <= 0:
            return []
        score: ColumnClause[float] = literal_column("bm25(units_fts, 1.0, 0.0)")
        stmt = (
            select(FTS.c.rowid, score)
            .select_from(FTS.join(UnitRow, UnitRow.seq == FTS.c.rowid))
            .where(text("units_fts MATCH :m").bindparams(m=match))
        )
        stmt = apply_filter(stmt, self._tenant, where).order_by(score).limit(k)
        # FTS5's bm25() is negative (lower is better); flip it so higher is better everywhere.
        return [(int(r[0]), -float(r[1])) for r in self._session.execute(stmt)]

    def _selective(self, partitions: Sequence[str], terms: list[str]) -> list[str]:
        """On a large partition, drop the terms found in more than COMMON of its documents:
        BM25 gives them little weight, yet FTS5 scores every document they match, so they
        decide the cost (a query of common words only leaves the lexical list empty and dense
        retrieval answers). Small partitions keep every term."""
        # The vocabulary holds tokens as the porter tokenizer stored them (stemmed).
        tokens = _PORTER.stemWords([partition_token(p) for p in partitions])
        size = sum(self._doc_counts(tokens).values())
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
