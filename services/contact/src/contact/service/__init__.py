"""Contact use cases: each runs in the unit of work it is given open, and never commits it."""
