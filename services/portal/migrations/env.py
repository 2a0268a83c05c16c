from portal.adapters.tables import metadata
from portal.config import Settings
from servicekit.copy_tables import contact_copy_metadata, customer_copy_metadata
from servicekit.migrations import run_migrations

run_migrations([metadata, customer_copy_metadata, contact_copy_metadata], Settings().database_url)
