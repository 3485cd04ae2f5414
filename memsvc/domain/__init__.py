"""Domain types of memsvc: memory units, scopes, provenance, queries, errors and ports.

This package imports nothing else of memsvc and no framework, so every layer can use it.
"""

from memsvc.domain.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    MemsvcError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
    ValidationError,
)
from memsvc.domain.ids import new_id
from memsvc.domain.probe import Step
from memsvc.domain.queries import (
    AddCommand,
    AddResult,
    ContextItem,
    HistoryEntry,
    Hit,
    ListQuery,
    Message,
    Page,
    ProvenanceView,
    RetrieverRank,
    Route,
    SearchQuery,
    SearchResult,
    SourceFilter,
    TimeWindow,
    UpdateCommand,
)
from memsvc.domain.units import (
    KIND_OF,
    Granularity,
    Kind,
    MemoryUnit,
    Origin,
    Provenance,
    Scope,
    Status,
    utcnow,
)

__all__ = [
    "KIND_OF",
    "AddCommand",
    "AddResult",
    "AuthError",
    "ConflictError",
    "ContextItem",
    "ForbiddenError",
    "Granularity",
    "HistoryEntry",
    "Hit",
    "Kind",
    "ListQuery",
    "MemoryUnit",
    "MemsvcError",
    "Message",
    "NotFoundError",
    "Origin",
    "Page",
    "PayloadTooLargeError",
    "Provenance",
    "ProvenanceView",
    "RetrieverRank",
    "Route",
    "Scope",
    "SearchQuery",
    "SearchResult",
    "SourceFilter",
    "Status",
    "Step",
    "TimeWindow",
    "UnavailableError",
    "UpdateCommand",
    "ValidationError",
    "new_id",
    "utcnow",
]
