"""What every service's domain code shares, with no framework and no I/O (the standard library only).

A service's `domain/` imports this and nothing of `servicekit`: the rules say *what* went wrong in the
domain's own words (`NotFound`, `Conflict`, `InvalidField`, `NotAllowed`), and `servicekit.errors` turns
those into problem answers in one place, as cosmicpython's entrypoints translate domain exceptions.
"""

from domainkit.errors import Conflict, DomainError, InvalidField, NotAllowed, NotFound
from domainkit.fields import NOT_SENT, NotSent, sent_fields

__all__ = [
    "NOT_SENT",
    "Conflict",
    "DomainError",
    "InvalidField",
    "NotAllowed",
    "NotFound",
    "NotSent",
    "sent_fields",
]
