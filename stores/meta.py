"""Facts about the store itself, kept in `store_meta`."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from memsvc.stores.tables import MetaRow, UnitVectorRow
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from memsvc.domain import new_id


def stored_once(engine: Engine, key: str, make: Callable[[], str]) -> str:
    """The value of `key`, made and stored at its first read (the first process wins)."""
    with Session(engine) as session:
        value = session.scalar(select(MetaRow.value).where(MetaRow.key == key))
        if value:
            return value
        session.add(MetaRow(key=key, value=make()))
        try:
            session.commit()
        except IntegrityError:  # another process got there first
            session.rollback()
        return str(session.scalar(select(MetaRow.value).where(MetaRow.key == key)))


def instance_id(engine: Engine) -> str:
    """A random id given to this database at first start (stable for its lifetime), to tell
    a recreated database from the one an on-disk index was built from."""
    return stored_once(engine, "instance_id", new_id)


def cache_secret(engine: Engine) -> str:
    """The key under which embedding-cache entries are hashed. It lives in the database, not
    in the cache file, so the cache file alone cannot confirm that a text was ever stored."""
    return stored_once(engine, "embedding_cache_secret", lambda: secrets.token_hex(32))


def flag(session: Session, key: str, on: bool) -> None:
    """Set or clear a flag inside the caller's transaction."""
    session.execute(delete(MetaRow).where(MetaRow.key == key))
    if on:
        session.add(MetaRow(key=key, value="1"))


def is_flagged(engine: Engine, key: str) -> bool:
    with Session(engine) as session:
        return session.scalar(select(MetaRow.value).where(MetaRow.key == key)) is not None


EMBEDDER = "embedder"  # the name of the embedder the store's vectors were made by


def recorded_embedder(engine: Engine) -> str | None:
    """The embedder the store's vectors were made by (None: a new store). A store from before
    it was recorded names it in its vectors' rows."""
    with Session(engine) as session:
        value = session.scalar(select(MetaRow.value).where(MetaRow.key == EMBEDDER))
        return value or session.scalar(select(UnitVectorRow.model).limit(1))


def record_embedder(engine: Engine, name: str) -> None:
    """Record that every vector of the store is made by `name` from now on."""
    with Session(engine) as session:
        session.execute(delete(MetaRow).where(MetaRow.key == EMBEDDER))
        session.add(MetaRow(key=EMBEDDER, value=name))
        try:
            session.commit()
        except IntegrityError:  # another process recorded it at the same moment
            session.rollback()
