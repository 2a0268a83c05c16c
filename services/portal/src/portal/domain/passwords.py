"""What a portal password must be (OWASP ASVS 5.0, V6.2): at least 8 characters, at least 64 allowed (we
take up to 128), any characters, no composition rules, and not one of the most common passwords."""

from __future__ import annotations

from collections.abc import Collection

from domainkit import InvalidField

MIN_LENGTH = 8
MAX_LENGTH = 128


def check_new_password(password: str, common: Collection[str], *, field: str = "password") -> None:
    """Refuse a password that is too short, too long, or among the common ones (compared case-blind, as
    attackers' lists try case variants first)."""
    if len(password) < MIN_LENGTH:
        raise InvalidField(field, f"must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidField(field, f"may have at most {MAX_LENGTH} characters")
    if password.lower() in common:
        raise InvalidField(field, "is one of the most common passwords; choose another")
