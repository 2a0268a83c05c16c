"""The errors the kit itself answers with (a bad token, a stale If-Match, a foreign cursor), as plain
exceptions with their HTTP status. Services' domain and use-case code raise `domainkit` errors instead;
`servicekit.errors` turns both into RFC 9457 problem documents."""

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
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
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
    """No token, or one that is not valid: the answer names the scheme to use (RFC 6750)."""

    status, title = 401, "Unauthorized"

    def __init__(self, detail: str, *, invalid_token: bool = True) -> None:
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class PreconditionFailed(Problem):
    status, title = 412, "Precondition failed"


class PreconditionRequired(Problem):
    status, title = 428, "Precondition required"


class InvalidField(Problem):
    """A domain rule refused the value of one field (422, same shape as schema validation)."""

    status, title = 422, "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class ServiceUnavailable(Problem):
    """Another service this request needs did not answer; nothing was changed."""

    status, title = 503, "Service unavailable"

    def __init__(self, detail: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})
