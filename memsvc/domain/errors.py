"""Errors raised by memsvc. Every layer raises these; the API maps them to HTTP statuses.

    MemsvcError                 base of everything memsvc raises on purpose
     ├── ValidationError        bad input: wrong value, malformed date, empty content (422)
     ├── NotFoundError          unknown id, or an id of another tenant (404)
     ├── ConflictError          the write clashes with current state (409)
     ├── PayloadTooLargeError   a body, batch or text over the configured limits (413)
     ├── AuthError              no key, or an unknown/revoked key (401)
     │    └── ForbiddenError    a valid key without the role for the action (403)
     ├── RateLimitedError       the key sent more requests than its rate allows (429)
     └── UnavailableError       a dependency (database, index, model, LLM) failed (503)
          └── TransientError    the database connection dropped: an idempotent read may retry

Stores translate driver errors into these (`raise NotFoundError(...) from exc`), so no
SQLAlchemy or httpx exception crosses a layer boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class MemsvcError(Exception):
    """Base class; `message` says what went wrong and, where possible, what to fix."""

    status_code = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(MemsvcError):
    status_code = 422


class NotFoundError(MemsvcError):
    status_code = 404


class ConflictError(MemsvcError):
    status_code = 409


class PayloadTooLargeError(MemsvcError):
    status_code = 413


class AuthError(MemsvcError):
    status_code = 401


class ForbiddenError(AuthError):
    status_code = 403


class RateLimitedError(MemsvcError):
    status_code = 429

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class UnavailableError(MemsvcError):
    status_code = 503


class TransientError(UnavailableError):
    """A connection to the database was lost mid-request (a restart, a failover)."""


def retrying(retries: int, read: Callable[[], T]) -> T:
    """Run an idempotent read, again up to `retries` times if its connection dropped."""
    for attempt in range(retries + 1):
        try:
            return read()
        except TransientError:
            if attempt == retries:
                raise
    raise AssertionError("unreachable")


ERRORS_BY_STATUS: dict[int, type[MemsvcError]] = {
    cls.status_code: cls
    for cls in (
        ValidationError,
        NotFoundError,
        ConflictError,
        PayloadTooLargeError,
        AuthError,
        ForbiddenError,
        RateLimitedError,
        UnavailableError,
    )
}
