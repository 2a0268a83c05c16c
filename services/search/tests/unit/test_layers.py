"""The layers keep to their places: the domain imports no framework and nothing of the kit, and use cases
leave opening and committing the transaction to the kit."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "search"
FRAMEWORKS = (
    "servicekit",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "pydantic",
    "alembic",
    "aio_pika",
    "asyncpg",
    "opensearchpy",
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


@pytest.mark.parametrize("module", sorted((PACKAGE / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_imports_no_framework_and_nothing_of_the_kit(module):
    offending = {name for name in imported_modules(module) if name.split(".")[0] in FRAMEWORKS}
    assert offending == set()


@pytest.mark.parametrize("module", sorted((PACKAGE / "service").glob("*.py")), ids=lambda p: p.name)
def test_use_cases_neither_open_nor_commit_their_unit_of_work(module):
    source = module.read_text()
    assert "async with uow" not in source
    assert ".commit()" not in source
