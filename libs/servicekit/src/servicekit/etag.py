"""Optimistic concurrency over HTTP: the version is the ETag, updates name it in If-Match."""

from __future__ import annotations

from servicekit.problems import PreconditionFailed, PreconditionRequired, Problem


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version the client based its change on, from an If-Match header such as `"3"` or `W/"3"`."""
    if if_match is None or if_match.strip() == "":
        if required:
            raise PreconditionRequired(
                "Send If-Match with the ETag of the version you changed, so no one else's change is lost."
            )
        return None
    if if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise Problem(f'If-Match must be an ETag such as "3", not {if_match!r}.', status=400)
    return int(value)


def check_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The record changed since you read it (your version {expected}, now {current}); "
            "read it again and reapply your change.",
            current_version=current,
        )
