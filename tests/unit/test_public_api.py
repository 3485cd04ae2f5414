"""The SDK's public surface is pinned: changing it is a deliberate act."""

import memsvc


def test_public_names_are_pinned() -> None:
    assert sorted(memsvc.__all__) == sorted(
        [
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
    )


def test_clients_share_one_method_set() -> None:
    public = {"add", "search", "get", "list", "update", "delete", "history", "provenance"}
    for cls in (memsvc.Memory, memsvc.MemoryClient, memsvc.AsyncMemoryClient):
        assert public <= {name for name in dir(cls) if not name.startswith("_")}
