"""Use cases of the customer service: one function each, run inside a unit of work."""
