"""Facts about the store itself."""

from __future__ import annotations

from memsvc.stores.tables import MetaRow
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from memsvc.domain import new_id


def instance_id(engine: Engine) -> str:
    """A random id given to this database at first start (stable for its lifetime)."""
    with Session(engine) as session:
        value = session.scalar(select(MetaRow.value).where(MetaRow.key == "instance_id"))
        if value:
            return value
        session.add(MetaRow(key="instance_id", value=new_id()))
        try:
            session.commit()
        except IntegrityError:  # another process got there first
            session.rollback()
        return str(session.scalar(select(MetaRow.value).where(MetaRow.key == "instance_id")))
