# Fixtures shared by every service's tests: real infrastructure, databases, bus listeners, tokens.
pytest_plugins = ["servicekit.testing.plugin"]
