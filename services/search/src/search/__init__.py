"""The search service: its app and its command line (`search-service serve|migrate`)."""
