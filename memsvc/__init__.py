"""memsvc: long-term memory for AI agents.

from memsvc import Memory            # in-process, SQLite + FAISS at ~/.memsvc
from memsvc import MemoryClient      # the same methods against `memsvc serve`
"""

from memsvc.client import AsyncMemoryClient, Memory, MemoryClient
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
from memsvc.schemas import (
    AddResult,
    DeleteResult,
    HistoryEntry,
    Hit,
    MessageIn,
    Provenance,
    SearchResult,
    Unit,
    UnitPage,
)
from memsvc.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "AsyncMemoryClient",
    "AuthError",
    "ConflictError",
    "DeleteResult",
    "ForbiddenError",
    "HistoryEntry",
    "Hit",
    "Memory",
    "MemoryClient",
    "MemsvcError",
    "MessageIn",
    "NotFoundError",
    "PayloadTooLargeError",
    "Provenance",
    "SearchResult",
    "Settings",
    "UnavailableError",
    "Unit",
    "UnitPage",
    "ValidationError",
    "__version__",
]
