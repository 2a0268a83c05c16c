import uuid
from datetime import UTC, datetime

import pytest

from contracts import Actor, envelope_for
from contracts.customer import CustomerState, CustomerUpdated
from contracts.export import generated_files, outdated_files, write_generated_files
from contracts.routing import topic_matches


def a_customer(**overrides) -> CustomerState:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fields = {
        "id": uuid.uuid4(),
        "office_id": "o1",
        "customer_number": "7",
        "name": "Østbø AS",
        "type": "company",
        "active": True,
        "global": False,
        "created_at": now,
        "created_by": "u",
        "updated_at": now,
        "updated_by": "u",
        "version": 2,
    }
    return CustomerState.model_validate({**fields, **overrides})


def test_an_envelope_keeps_the_fields_of_its_payload_type_when_serialised():
    payload = CustomerUpdated(customer=a_customer(), changed_fields=["name"])
    envelope = envelope_for(
        payload,
        office_id="o1",
        aggregate_id=payload.customer.id,
        aggregate_version=2,
        correlation_id="c",
        actor=Actor(kind="user", id="u"),
    )
    body = envelope.model_dump(mode="json", by_alias=True)
    assert body["type"] == "customer.updated"
    assert body["schema_version"] == 1
    assert body["payload"]["changed_fields"] == ["name"]
    assert body["payload"]["customer"]["global"] is False
    assert "personal_identity_number" not in body["payload"]["customer"]


def test_customer_state_rejects_fields_it_does_not_know():
    with pytest.raises(ValueError, match="personal_identity_number"):
        a_customer(personal_identity_number="01017012345")


def test_the_committed_schemas_and_asyncapi_document_match_the_models():
    assert outdated_files() == [], "run `uv run crm contracts export` and commit the result"


def test_a_changed_model_shows_as_outdated(tmp_path):
    write_generated_files(tmp_path)
    assert outdated_files(tmp_path) == []
    schema = tmp_path / "schemas" / "customer.created.v1.json"
    schema.write_text(schema.read_text().replace('"name"', '"title_changed"', 1))
    (tmp_path / "schemas" / "customer.retired.v1.json").write_text("{}")
    assert sorted(outdated_files(tmp_path)) == [
        "schemas/customer.created.v1.json",
        "schemas/customer.retired.v1.json",
    ]


def test_the_asyncapi_document_names_who_sends_and_who_receives_each_event():
    import json

    document = json.loads(generated_files()["asyncapi.json"])
    operations = document["operations"]
    assert operations["customer_sends_customer_created"]["action"] == "send"
    assert {"contact_receives_customer_created", "search_receives_customer_created"} <= set(operations)
    assert document["channels"]["customer_created"]["address"] == "customer.created"


@pytest.mark.parametrize(
    ("pattern", "event_type", "matches"),
    [
        ("customer.*", "customer.created", True),
        ("customer.*", "contact.created", False),
        ("customer.*", "customer.address.added", False),
        ("customer.*", "customer", False),
        ("*.created", "contact.created", True),
        ("#", "anything.at.all", True),
        ("#", "customer", True),
        ("customer.#", "customer", True),
        ("customer.#", "customer.address.added", True),
        ("customer.#", "contact.created", False),
        ("#.created", "customer.created", True),
        ("#.created", "customer.created.late", False),
        ("customer.#.added", "customer.added", True),
        ("customer.#.added", "customer.address.contact.added", True),
        ("customer.#.added", "customer.address.removed", False),
        ("#.*", "customer", True),
        ("*.#.*", "customer", False),
        ("customer.created", "customer.created", True),
        ("customer.created", "customer.created.late", False),
    ],
)
def test_topic_patterns_match_like_the_broker(pattern, event_type, matches):
    assert topic_matches(pattern, event_type) is matches
