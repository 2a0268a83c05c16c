"""The kinds of refusal a domain rule or a use case can give, in the domain's own terms.

Each carries a human sentence (`detail`), the fields it is about (`errors`, each a dotted path such as
`addresses.0.country` with a message), and facts a client can act on (`extensions`, e.g. the id of the
customer that already holds a number). Which HTTP status each kind becomes is the entrypoint's business
(`servicekit.errors`), not the domain's.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. Subclass one of the kinds below, never this one directly."""

    def __init__(
        self, detail: str, *, errors: list[dict[str, str]] | None = None, **extensions: object
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extensions = extensions


class NotFound(DomainError):
    """The thing named does not exist, or not where the caller may see it."""


class Conflict(DomainError):
    """The request is valid on its own but clashes with the current state (a number taken, a state
    already reached, a record still in use)."""


class NotAllowed(DomainError):
    """The caller's role does not allow this change (e.g. only an office admin renumbers)."""

    def __init__(self, detail: str, *, permission: str) -> None:
        super().__init__(detail, permission=permission)


class InvalidField(DomainError):
    """A rule refused the value of one field: the same answer shape as a schema validation error."""

    def __init__(self, field: str, message: str, **extensions: object) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}], **extensions)
        self.field = field
        self.message = message
