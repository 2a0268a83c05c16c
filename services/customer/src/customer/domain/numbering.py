"""Customer numbers: which counter a customer draws from, and how a number is written."""

from __future__ import annotations


def sequence_scope(office_id: str, *, is_global: bool) -> str:
    """Global customers share one organisation-wide counter; the others count per office."""
    return "global" if is_global else f"office:{office_id}"


def format_number(value: int, min_length: int = 1) -> str:
    """A drawn number as text, left-padded with zeros to the office's minimum length."""
    return str(value).zfill(min_length)
