"""Customer domain: entities and rules, free of web frameworks and database sessions."""
