"""Throwaway databases: each test session (or test module) gets its own, so tests never share state."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, database: str, *, driver: str | None = None) -> str:
    parts = urlsplit(url)
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    return urlunsplit((scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def create_database(admin_url: str, prefix: str) -> str:
    """Create an empty database with pg_trgm; return its name."""
    name = f"test_{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(with_database(admin_url, name))
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    finally:
        await connection.close()
    return name


async def drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
