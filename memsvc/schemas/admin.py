"""Public models of administration: API keys and purges."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

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
