"""The layers keep to their places (servicekit.testing.layers): the domain imports no framework and nothing
of the kit, and use cases leave opening and committing the transaction to the kit."""

from servicekit.testing.layers import layer_tests

test_the_domain_imports_no_framework_and_nothing_of_the_kit, test_use_cases_neither_open_nor_commit = (
    layer_tests("portal")
)
