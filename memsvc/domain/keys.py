"""Identity keys of derived units: what makes two extractions of the same fact, entity,
relation or procedure one unit. Stable across databases and tenants (they hash the scope's
user and agent and the unit's normalised identity, never a tenant or a secret), so a unit
imported from another deployment keeps deduplicating what is said again here."""

from __future__ import annotations

import re

from memsvc.domain.units import Granularity, Scope, content_hash


def norm(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def derived_key(scope: Scope, granularity: Granularity, *identity: str) -> str:
    return content_hash("derived", scope.user_id, scope.agent_id, str(granularity), *identity)
