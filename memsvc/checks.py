"""Input limits from `LimitSettings`, enforced by the service for every entrypoint (REST, the
embedded SDK, the CLI). The request models check shapes; the numbers an operator may tune are
checked here, and the OpenAPI schema is written from the same settings (`memsvc.api.openapi`).

A body over `max_body_bytes` or a batch over `max_messages` is 413 (send less per request); a
field over its bound is 422 naming the field.
"""

from __future__ import annotations

from memsvc.domain import (
    AddCommand,
    ListQuery,
    PayloadTooLargeError,
    SearchQuery,
    ValidationError,
)
from memsvc.settings import LimitSettings


class InputChecks:
    def __init__(self, limits: LimitSettings) -> None:
        self.limits = limits

    def add(self, cmd: AddCommand) -> None:
        if not cmd.messages:
            raise ValidationError("messages must contain at least one message", field="messages")
        if len(cmd.messages) > self.limits.max_messages:
            raise PayloadTooLargeError(
                f"at most {self.limits.max_messages} messages per add; split the batch",
                field="messages",
            )
        # One empty message rejects the whole add, naming its index: nothing is stored, so a
        # caller never has to work out which messages of a batch were kept.
        for i, message in enumerate(cmd.messages):
            self.text(message.content, f"messages.{i}.content")
            if not message.role.strip():
                raise ValidationError("role must not be empty", field=f"messages.{i}.role")

    def search(self, query: SearchQuery) -> None:
        if not query.text.strip():
            raise ValidationError("query must not be empty", field="query")
        if len(query.text) > self.limits.max_query_chars:
            raise ValidationError(
                f"query is longer than {self.limits.max_query_chars} characters", field="query"
            )
        self.count(query.k, "k", self.limits.max_k)
        window = query.time_window
        if window and window.start and window.end and window.start >= window.end:
            raise ValidationError("time window start must be before its end", field="start")

    def page(self, query: ListQuery) -> None:
        self.count(query.limit, "limit", self.limits.max_page)

    def count(self, value: int, field: str, most: int) -> None:
        if not 1 <= value <= most:
            raise ValidationError(f"{field} must be between 1 and {most}", field=field)

    def text(self, text: str, field: str) -> None:
        if not text.strip():
            raise ValidationError(f"{field} must not be empty", field=field)
        if len(text) > self.limits.max_content_chars:
            raise ValidationError(
                f"{field} is longer than {self.limits.max_content_chars} characters",
                field=field,
            )
