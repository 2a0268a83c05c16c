"""The search service's HTTP API."""
