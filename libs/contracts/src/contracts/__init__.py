"""Contracts shared by all services: the event envelope, every event payload and shared API types."""

from contracts.envelope import Actor, EventEnvelope, EventPayload, RawEnvelope, envelope_for

__all__ = ["Actor", "EventEnvelope", "EventPayload", "RawEnvelope", "envelope_for"]
