"""Portal use cases."""
