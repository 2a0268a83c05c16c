"""Reading a service's OpenAPI document in its tests: every operation, and one parameter of one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Operation = tuple[str, str, dict[str, Any]]
"""Method, path and the operation's entry."""


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def parameter(operation: dict[str, Any], location: str, name: str) -> dict[str, Any]:
    """The operation's one parameter of this name (case-insensitive) in this location."""
    found: list[dict[str, Any]] = [
        p for p in operation["parameters"] if p["in"] == location and p["name"].lower() == name.lower()
    ]
    assert len(found) == 1, f"{name} in {location}: {found}"
    return found[0]
