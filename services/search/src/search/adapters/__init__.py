"""What the search service talks to: its PostgreSQL tables and OpenSearch."""
