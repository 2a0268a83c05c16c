"""The published form of the contracts: a JSON Schema per event type and an AsyncAPI document of the bus.

`crm contracts export` writes them under libs/contracts/; a test fails when the committed files differ
from what the models generate, so the documents can never drift from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.envelope import EventEnvelope
from contracts.routing import DEFAULT_EXCHANGE, EVENT_TYPES, PUBLISHERS, SUBSCRIPTIONS, topic_matches

CONTRACTS_ROOT = Path(__file__).resolve().parents[2]
"""libs/contracts, where the generated files live."""


def schema_file_name(event_type: str, schema_version: int) -> str:
    return f"schemas/{event_type}.v{schema_version}.json"


def event_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema of the whole envelope, with its payload, for each event type."""
    schemas = {}
    for event_type, payload in sorted(EVENT_TYPES.items()):
        schema = EventEnvelope[payload].model_json_schema(by_alias=True)  # type: ignore[valid-type]
        schema["title"] = f"{event_type} v{payload.schema_version}"
        schema["$id"] = f"urn:crm:event:{event_type}:v{payload.schema_version}"
        schemas[schema_file_name(event_type, payload.schema_version)] = schema
    return schemas


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 description of the topic exchange: one channel per event type, who sends it,
    and which services receive it."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, payload in sorted(EVENT_TYPES.items()):
        key = event_type.replace(".", "_")
        messages[key] = {
            "name": event_type,
            "title": payload.__name__,
            "summary": (payload.__doc__ or "").strip().splitlines()[0] if payload.__doc__ else event_type,
            "contentType": "application/json",
            "payload": {"$ref": f"./{schema_file_name(event_type, payload.schema_version)}"},
        }
        channels[key] = {
            "address": event_type,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {
                "amqp": {"is": "routingKey", "exchange": {"name": DEFAULT_EXCHANGE, "type": "topic"}}
            },
        }
        for service, patterns in sorted(PUBLISHERS.items()):
            if any(topic_matches(p, event_type) for p in patterns):
                operations[f"{service}_sends_{key}"] = {
                    "action": "send",
                    "channel": {"$ref": f"#/channels/{key}"},
                    "summary": f"The {service} service publishes {event_type} through its outbox.",
                }
        for service, patterns in sorted(SUBSCRIPTIONS.items()):
            if any(topic_matches(p, event_type) for p in patterns):
                operations[f"{service}_receives_{key}"] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{key}"},
                    "summary": f"The {service} service consumes {event_type} from its own queue.",
                }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Customer platform domain events",
            "version": "1.0.0",
            "description": (
                "One topic exchange; routing key = event type. Every event travels in the envelope of "
                "contracts.envelope and carries the full state of its aggregate."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:5672", "protocol": "amqp", "description": "RabbitMQ of a local run"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def generated_files() -> dict[str, str]:
    """Path under libs/contracts → exact file content."""
    files = {name: _dump(schema) for name, schema in event_schemas().items()}
    files["asyncapi.json"] = _dump(asyncapi_document())
    return files


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_generated_files(root: Path = CONTRACTS_ROOT) -> list[str]:
    """Write every generated file; remove schema files no model produces any more. Returns what changed."""
    expected = generated_files()
    changed = []
    for name, content in expected.items():
        path = root / name
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed.append(name)
    for stale in (root / "schemas").glob("*.json"):
        if f"schemas/{stale.name}" not in expected:
            stale.unlink()
            changed.append(f"schemas/{stale.name} (removed)")
    return changed


def outdated_files(root: Path = CONTRACTS_ROOT) -> list[str]:
    """Generated files whose committed copy is missing, different, or no longer produced."""
    expected = generated_files()
    outdated = [
        name
        for name, content in expected.items()
        if not (root / name).exists() or (root / name).read_text() != content
    ]
    outdated += [
        f"schemas/{p.name}" for p in (root / "schemas").glob("*.json") if f"schemas/{p.name}" not in expected
    ]
    return outdated
