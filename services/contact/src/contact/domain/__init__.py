"""The contact domain: the aggregate, its rules and the commands that change it (no framework here)."""
