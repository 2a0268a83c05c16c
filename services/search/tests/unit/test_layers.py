"""The layers keep to their places (servicekit.testing.layers): the domain imports no framework and nothing
of the kit, and use cases leave opening and committing the transaction to the kit; and only the adapters
talk to OpenSearch's client."""

from pathlib import Path

import pytest

from servicekit.testing.layers import imported_modules, layer_tests, package_folder

test_the_domain_imports_no_framework_and_nothing_of_the_kit, test_use_cases_neither_open_nor_commit = (
    layer_tests("search")
)

OUTSIDE_ADAPTERS = sorted(
    path
    for path in package_folder("search").rglob("*.py")
    if "adapters" not in path.relative_to(package_folder("search")).parts
)


@pytest.mark.parametrize("module", OUTSIDE_ADAPTERS, ids=lambda p: str(p.name))
def test_only_the_adapters_use_the_opensearch_client(module: Path):
    assert not {name for name in imported_modules(module) if name.split(".")[0] == "opensearchpy"}
