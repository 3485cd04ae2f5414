"""Public models of administration: API keys and purges."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from memsvc.schemas.types import Id, Name256, RequestModel


class KeyRequest(RequestModel):
    name: Name256 | None = None
    role: Literal["admin", "writer", "reader"] = "writer"
    user_id: Id | None = Field(None, description="Narrow the key to this user's memories.")
    agent_id: Id | None = Field(None, description="Narrow the key to this agent's memories.")


class KeyOut(BaseModel):
    id: str
    tenant_id: str
    name: str | None
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    role: str
    user_id: str | None
    agent_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(BaseModel):
    key: KeyOut
    secret: str = Field(description="Shown once: send it as 'Authorization: Bearer <secret>'.")


class SourceRequest(RequestModel):
    """One source to purge: a session's turns, or everything one API key wrote."""

    session_id: Id | None = None
    user_id: Id | None = Field(None, description="The user of the session, when it has one.")
    key_id: Id | None = Field(None, description="Everything this API key wrote.")

    @model_validator(mode="after")
    def _one_source(self) -> SourceRequest:
        if (self.session_id is None) == (self.key_id is None):
            raise ValueError("name exactly one source: session_id or key_id")
        return self


class PurgeOut(BaseModel):
    """What a purge removed and recomputed."""

    purged: dict[str, int] = Field(description="Memories purged, by granularity.")
    total: int
    recomputed: int = Field(description="Memories that kept other sources, recomputed.")
    history_scrubbed: int
    jobs_removed: int
