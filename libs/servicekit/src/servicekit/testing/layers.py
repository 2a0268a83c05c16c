"""The layer rules every service keeps, as tests: the domain imports no framework and nothing of the kit,
and use cases leave opening and committing the transaction to the kit (`servicekit.transactions`).

A service's `tests/unit/test_layers.py` is one line per rule:

    test_the_domain_imports_no_framework, test_use_cases_never_open_or_commit = layer_tests("contact")
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest

FRAMEWORKS = (
    "servicekit",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "pydantic",
    "alembic",
    "aio_pika",
    "asyncpg",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def package_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"no package {package}")
    return Path(next(iter(spec.submodule_search_locations)))


def layer_tests(package: str) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    """The two layer tests of a service's package, parametrised over its modules."""
    folder = package_folder(package)

    @pytest.mark.parametrize("module", sorted((folder / "domain").glob("*.py")), ids=lambda p: p.name)
    def domain_test(module: Path) -> None:
        offending = {name for name in imported_modules(module) if name.split(".")[0] in FRAMEWORKS}
        assert offending == set()

    @pytest.mark.parametrize("module", sorted((folder / "service").glob("*.py")), ids=lambda p: p.name)
    def use_case_test(module: Path) -> None:
        source = module.read_text()
        # `async with uow:` opens the transaction; `uow.step()` is a savepoint inside the caller's, which a
        # use case applying many rows (an import batch) may take per row.
        assert re.search(r"async with uow\b(?!\.step\(\))", source) is None
        assert ".commit()" not in source

    return domain_test, use_case_test
