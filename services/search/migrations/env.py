from search.adapters.tables import metadata
from search.config import Settings
from servicekit.migrations import run_migrations

run_migrations([metadata], Settings().database_url)
