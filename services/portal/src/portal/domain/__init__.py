"""Portal rules: no framework, no I/O."""
