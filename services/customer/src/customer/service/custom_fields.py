"""Custom-field definition use cases: a definition change never silently breaks stored values.

A change that would leave some customer's value invalid (a new type, a removed option), making a field
required while some customers have no value, and deleting a field customers still have values for, are
all refused with a 409 that says how many customers are in the way and, where it helps, which values;
the admin changes those customers first. Definitions publish no events: only the customer service uses
them, and the customer events carry the values.
"""

from __future__ import annotations

from dataclasses import asdict

from customer.adapters import custom_field_repository as repository
from customer.domain import custom_fields as rules
from customer.domain.commands import CustomFieldChanges, DefineCustomField
from customer.domain.custom_fields import FieldDefinition
from domainkit import Conflict, NotFound, sent_fields
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.unit_of_work import UnitOfWork

_SHOWN_VALUES = 20


def _customers(count: int) -> str:
    return f"{count} customer{'s' if count != 1 else ''}"


async def create_definition(uow: UnitOfWork, user: OfficeUser, command: DefineCustomField) -> FieldDefinition:
    office_id = user.office_id
    definition = rules.new_definition(**asdict(command))
    if definition.required:
        await _refuse_missing_values(uow, office_id, definition)
    await repository.add(uow.session, office_id, definition)
    return definition


async def _load_for_change(uow: UnitOfWork, office_id: str, key: str) -> FieldDefinition:
    definition = await repository.get(uow.session, office_id, key, for_update=True)
    if definition is None:
        raise NotFound(f"No custom field {key} in your office.")
    return definition


async def change_definition(
    uow: UnitOfWork,
    user: OfficeUser,
    key: str,
    changes: CustomFieldChanges,
    expected_version: int | None,
) -> FieldDefinition:
    """Apply `changes`; the same definition (no new version) when nothing really changes."""
    office_id = user.office_id
    current = await _load_for_change(uow, office_id, key)
    check_version(current.version, expected_version)
    changed = rules.change_definition(current, sent_fields(changes))
    if changed is current:
        return current
    if changed.type != current.type or changed.options != current.options:
        await _refuse_broken_values(uow, office_id, current, changed)
    if changed.required and not current.required:
        await _refuse_missing_values(uow, office_id, changed)
    await repository.save(uow.session, office_id, changed)
    return changed


async def _refuse_broken_values(
    uow: UnitOfWork, office_id: str, current: FieldDefinition, changed: FieldDefinition
) -> None:
    held = await repository.stored_values(uow.session, office_id, current.key)
    broken = sorted(
        ((value, count) for value, count in held if not rules.is_valid_stored(changed, value)),
        key=lambda pair: (-pair[1], str(pair[0])),
    )
    affected = sum(count for _, count in broken)
    if not affected:
        return
    values = [value for value, _ in broken[:_SHOWN_VALUES]]
    shown = ", ".join(repr(v) for v in values) + (" …" if len(broken) > _SHOWN_VALUES else "")
    if changed.type != current.type:
        field = "type"
        detail = (
            f"{_customers(affected)} hold values of {current.key} that are not valid as {changed.type}: "
            f"{shown}. Change or clear those values first, or keep the type {current.type}."
        )
    else:
        field = "options"
        detail = (
            f"{_customers(affected)} have {current.key} set to an option this change removes: {shown}. "
            "Give those customers another option first, or keep the option."
        )
    raise Conflict(
        detail,
        errors=[{"field": field, "message": f"would make the values of {_customers(affected)} invalid"}],
        customers_affected=affected,
        invalid_values=values,
    )


async def _refuse_missing_values(uow: UnitOfWork, office_id: str, definition: FieldDefinition) -> None:
    missing = await repository.customers_without_value(uow.session, office_id, definition.key)
    if missing:
        raise Conflict(
            f"{_customers(missing)} have no value for {definition.key}; a required field would leave "
            "them invalid. Make it optional, give those customers a value, then make it required.",
            errors=[{"field": "required", "message": f"{_customers(missing)} have no value"}],
            customers_without_value=missing,
        )


async def delete_definition(
    uow: UnitOfWork, user: OfficeUser, key: str, expected_version: int | None
) -> None:
    """Delete a field no customer has a value for; otherwise 409 with `values_in_use`."""
    office_id = user.office_id
    current = await _load_for_change(uow, office_id, key)
    check_version(current.version, expected_version)
    in_use = await repository.customers_with_value(uow.session, office_id, key)
    if in_use:
        raise Conflict(
            f"{_customers(in_use)} have a value for {key}; clear those values first (PATCH the "
            f'customers with "custom_fields": {{"{key}": null}}), then delete the field.',
            values_in_use=in_use,
        )
    await repository.remove(uow.session, office_id, key)
