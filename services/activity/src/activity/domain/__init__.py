"""Activities and the rules they keep, free of any framework (SPEC §5)."""
