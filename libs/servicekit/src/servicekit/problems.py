"""The errors a service answers with, as plain exceptions: domain and service code raise them without
knowing about HTTP frameworks; `servicekit.errors` turns them into RFC 9457 problem documents."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """Raise anywhere below a route to answer with a problem document."""

    status: int = 400
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        self.errors = errors
        self.extensions = extensions


class NotFound(Problem):
    status, title = 404, "Not found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class PreconditionFailed(Problem):
    status, title = 412, "Precondition failed"


class PreconditionRequired(Problem):
    status, title = 428, "Precondition required"


class InvalidField(Problem):
    """A domain rule refused the value of one field (422, same shape as schema validation)."""

    status, title = 422, "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])
