from customer.adapters.tables import metadata
from customer.config import Settings
from servicekit.copy_tables import contact_copy_metadata
from servicekit.imports.tables import import_metadata
from servicekit.migrations import run_migrations

run_migrations([metadata, contact_copy_metadata, import_metadata], Settings().database_url)
