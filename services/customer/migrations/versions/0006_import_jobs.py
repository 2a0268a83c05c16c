"""The customer import's jobs, their uploaded files and their reports (servicekit.imports).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from servicekit.imports import migrations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    migrations.upgrade_import_jobs_v1()


def downgrade() -> None:
    migrations.downgrade_import_jobs_v1()
