"""What the search service keeps in its own database besides the kit's messaging tables: the latest
state of every customer, contact and category it has heard of, each with its version.

Why keep them: a customer document is built from the customer, its contacts and its categories' names,
which arrive as separate events in any order. Keeping each aggregate's latest state (and a tombstone
after its deletion) lets every event rebuild the whole document from current facts, so a contact that
arrives before its customer is folded in when the customer arrives, and a stale event changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from servicekit.db import new_metadata

metadata = new_metadata()

customers = sa.Table(
    "search_customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("office_id", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("deleted", sa.Boolean(), nullable=False, server_default="false"),
    sa.Column("category_ids", postgresql.ARRAY(sa.Uuid()), nullable=False, server_default="{}"),
    sa.Column("state", postgresql.JSONB(), nullable=False, comment="CustomerState as the event carried it"),
    sa.Index("ix_search_customers_category_ids", "category_ids", postgresql_using="gin"),
)

contacts = sa.Table(
    "search_contacts",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("deleted", sa.Boolean(), nullable=False, server_default="false"),
    sa.Column("state", postgresql.JSONB(), nullable=False, comment="ContactState as the event carried it"),
    sa.Index("ix_search_contacts_customer_id", "customer_id"),
)

categories = sa.Table(
    "search_categories",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("office_id", sa.Text(), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("deleted", sa.Boolean(), nullable=False, server_default="false"),
)

rebuilds = sa.Table(
    "search_rebuild",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, comment="Always 1: one rebuild at a time"),
    sa.Column("state", sa.Text(), nullable=False, comment="running, done or failed"),
    sa.Column("target_index", sa.Text(), nullable=True, comment="The new index while the rebuild runs"),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("written", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("error", sa.Text(), nullable=True),
)
