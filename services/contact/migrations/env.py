from contact.adapters.tables import metadata
from contact.config import Settings
from servicekit.copy_tables import customer_copy_metadata
from servicekit.migrations import run_migrations

run_migrations([metadata, customer_copy_metadata], Settings().database_url)
