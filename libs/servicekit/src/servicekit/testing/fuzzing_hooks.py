"""Schemathesis hooks of the kit's fuzz run (`servicekit.testing.fuzzing` names this module in
SCHEMATHESIS_HOOKS): fresh Idempotency-Keys, and one filter for what an OpenAPI document cannot state.

The fuzzer draws an Idempotency-Key from its pattern, so it sends the same few short keys with many
different bodies, and the service rightly refuses each reuse (422): nearly every create would test the
key, not the create. `before_call` gives every schema-valid request a key of its own (still well formed,
so the request stays valid). Invalid requests go as drawn: schemathesis re-validates a request a hook
changed, and one drawn without its Authorization header would then pass for valid and get it back.

Some fields are valid only by rules that no JSON Schema states: check digits of national numbers, ids that
must name one of the office's categories, custom fields the office has defined, a cursor the list itself
gave out. A request that is valid by the
schema but breaks such a rule is refused with a 422 naming the field, and schemathesis' positive-data check
reports that as "schema-valid request rejected". This filter drops exactly those reports: a 422 whose
`errors` name only fields listed as ruled beyond the schema. Any other field named, any other status, and
every other check still fail the run.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import os
import re
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

from servicekit.idempotency import HEADER, KEY_PATTERN
from servicekit.testing.fuzzing import RULES_BEYOND_SCHEMA_ENV

_FIELDS: tuple[str, ...] = tuple(json.loads(os.environ.get(RULES_BEYOND_SCHEMA_ENV, "[]")))
"""`fnmatch` patterns of the `field` of a problem's `errors`, e.g. `tax_ids.*.number`."""

_key_numbers = itertools.count(1)


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]
) -> None:
    """The Idempotency-Key of a schema-valid request is replaced by one no other request has used."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return
    key = case.headers.get(HEADER) if case.headers else None
    if case.headers is not None and isinstance(key, str) and re.fullmatch(KEY_PATTERN, key):
        case.headers[HEADER] = f"fuzz-{next(_key_numbers)}"


def _named_fields(response: schemathesis.Response) -> list[str]:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return []
    return [str(error.get("field")) for error in errors if isinstance(error, dict)]


@schemathesis.hook
def filter_failure(
    context: schemathesis.HookContext,
    failure: Any,
    case: schemathesis.Case[Any],
    response: schemathesis.Response,
) -> bool:
    """False (drop) for a schema-valid request refused only over fields ruled beyond the schema."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    fields = _named_fields(response)
    ruled = [field for field in fields if any(fnmatch.fnmatchcase(field, rule) for rule in _FIELDS)]
    return not fields or len(ruled) != len(fields)
