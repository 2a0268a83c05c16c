"""Event types that exist only in these tests."""

from contracts import EventPayload


class Pinged(EventPayload):
    """Routed like a customer event (`customer.*`), so every customer subscriber's queue takes it."""

    event_type = "customer.pinged"
    note: str = ""


class NobodyListens(EventPayload):
    event_type = "nobody.listens"
    note: str = ""
