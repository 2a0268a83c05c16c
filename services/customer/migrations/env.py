from customer.adapters.tables import metadata
from customer.config import Settings
from servicekit.migrations import run_migrations

run_migrations(metadata, Settings().database_url)
