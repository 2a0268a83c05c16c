"""Office settings, categories, custom-field definitions, addresses, external ids, project links, history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("organisation_number_compact", sa.Text()))
    op.add_column("customers", sa.Column("vat_number_compact", sa.Text()))
    op.create_index(
        "uq_customers_global_number",
        "customers",
        ["customer_number"],
        unique=True,
        postgresql_where=sa.text("is_global"),
    )
    op.create_index(
        "ix_customers_office_organisation_number", "customers", ["office_id", "organisation_number_compact"]
    )
    op.create_index("ix_customers_category_ids", "customers", ["category_ids"], postgresql_using="gin")

    op.create_table(
        "office_settings",
        sa.Column("office_id", sa.Text(), primary_key=True),
        sa.Column("customer_numbering", sa.Text(), server_default="auto", nullable=False),
        sa.Column("customer_number_min_length", sa.Integer(), server_default="1", nullable=False),
        sa.Column("customer_number_max_length", sa.Integer(), server_default="20", nullable=False),
        sa.Column("organisation_number_mandatory", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("organisation_number_unique", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", sa.Text()),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("office_id", name="pk_office_settings"),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_categories"),
    )
    op.create_index(
        "uq_categories_office_name", "categories", ["office_id", sa.text("lower(name)")], unique=True
    )
    op.create_table(
        "custom_field_definitions",
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("options", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "key", name="pk_custom_field_definitions"),
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("label", sa.Text()),
        sa.Column("line1", sa.Text()),
        sa.Column("line2", sa.Text()),
        sa.Column("postal_code", sa.Text()),
        sa.Column("city", sa.Text()),
        sa.Column("region", sa.Text()),
        sa.Column("country", sa.Text()),
        sa.Column("contact_id", sa.Uuid()),
        sa.Column("comment", sa.Text()),
        sa.Column("headquarters", sa.Boolean(), server_default="false", nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_addresses_customer_id_customers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_addresses"),
    )
    op.create_index("ix_addresses_customer", "addresses", ["customer_id", "position"])
    op.create_index(
        "uq_addresses_headquarters",
        "addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("headquarters"),
    )
    op.create_table(
        "external_ids",
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_external_ids_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "system", "value", name="pk_external_ids"),
        sa.UniqueConstraint("customer_id", "system", name="uq_external_ids_customer_system"),
    )
    op.create_table(
        "project_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_project_links_customer_id_customers",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_links"),
        sa.UniqueConstraint("customer_id", "system", "reference", name="uq_project_links_reference"),
    )
    op.create_table(
        "customer_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("changed_by_name", sa.Text()),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("old_value", postgresql.JSONB()),
        sa.Column("new_value", postgresql.JSONB()),
        sa.PrimaryKeyConstraint("id", name="pk_customer_history"),
    )
    op.create_index("ix_customer_history_customer", "customer_history", ["customer_id", "id"])


def downgrade() -> None:
    for table in (
        "customer_history",
        "project_links",
        "external_ids",
        "addresses",
        "custom_field_definitions",
        "categories",
        "office_settings",
    ):
        op.drop_table(table)
    op.drop_index("ix_customers_category_ids", "customers")
    op.drop_index("ix_customers_office_organisation_number", "customers")
    op.drop_index("uq_customers_global_number", "customers")
    op.drop_column("customers", "vat_number_compact")
    op.drop_column("customers", "organisation_number_compact")
