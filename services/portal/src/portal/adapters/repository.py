"""The portal's reads and writes (SQLAlchemy Core over its own tables). Rows come back as SQLAlchemy rows;
the use cases name their columns."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.adapters.tables import (
    catalogs,
    login_throttle,
    password_resets,
    portal_access,
    portal_users,
    refresh_tokens,
)
from portal.domain.throttle import ThrottleState

AnyRow = Row[Any]

# catalogs


async def add_catalog(session: AsyncConnection, values: dict[str, Any]) -> None:
    await session.execute(insert(catalogs).values(**values))


async def get_catalog(
    session: AsyncConnection, office_id: str, catalog_id: uuid.UUID, *, for_update: bool = False
) -> AnyRow | None:
    statement = select(catalogs).where(catalogs.c.id == catalog_id, catalogs.c.office_id == office_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def save_catalog(session: AsyncConnection, catalog_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(catalogs).where(catalogs.c.id == catalog_id).values(**values))


async def office_catalogs(
    session: AsyncConnection, office_id: str, after: tuple[str, uuid.UUID] | None = None, limit: int = 10_000
) -> list[AnyRow]:
    """The office's catalogs by name (then id), after a cursor position."""
    key = func.lower(catalogs.c.name)
    statement = select(catalogs).where(catalogs.c.office_id == office_id)
    if after is not None:
        statement = statement.where((key, catalogs.c.id) > (after[0], after[1]))  # type: ignore[operator]
    statement = statement.order_by(key, catalogs.c.id).limit(limit)
    return list((await session.execute(statement)).all())


# portal access


async def get_access(
    session: AsyncConnection, customer_id: uuid.UUID, *, for_update: bool = False
) -> AnyRow | None:
    statement = select(portal_access).where(portal_access.c.customer_id == customer_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def put_access(session: AsyncConnection, values: dict[str, Any]) -> None:
    statement = pg_insert(portal_access).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[portal_access.c.customer_id],
        set_={name: statement.excluded[name] for name in values if name != "customer_id"},
    )
    await session.execute(statement)


async def remove_access(session: AsyncConnection, customer_id: uuid.UUID) -> None:
    await session.execute(delete(portal_access).where(portal_access.c.customer_id == customer_id))


# customer users


async def add_user(session: AsyncConnection, values: dict[str, Any]) -> None:
    await session.execute(insert(portal_users).values(**values))


async def get_user(
    session: AsyncConnection, user_id: uuid.UUID, *, for_update: bool = False
) -> AnyRow | None:
    statement = select(portal_users).where(portal_users.c.id == user_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def user_by(
    session: AsyncConnection, column: str, value: Any, *, for_update: bool = False
) -> AnyRow | None:
    statement = select(portal_users).where(portal_users.c[column] == value)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def save_user(session: AsyncConnection, user_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(portal_users).where(portal_users.c.id == user_id).values(**values))


async def remove_user(session: AsyncConnection, user_id: uuid.UUID) -> None:
    await session.execute(delete(portal_users).where(portal_users.c.id == user_id))


async def users_of_customer(session: AsyncConnection, customer_id: uuid.UUID) -> list[AnyRow]:
    statement = (
        select(portal_users).where(portal_users.c.customer_id == customer_id).order_by(portal_users.c.id)
    )
    return list((await session.execute(statement.with_for_update())).all())


async def list_users(
    session: AsyncConnection,
    office_id: str,
    customer_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[AnyRow]:
    statement = select(portal_users).where(portal_users.c.office_id == office_id)
    if customer_id is not None:
        statement = statement.where(portal_users.c.customer_id == customer_id)
    if after is not None:
        statement = statement.where(portal_users.c.id > after)
    statement = statement.order_by(portal_users.c.id).limit(limit)
    return list((await session.execute(statement)).all())


# sessions (refresh-token families)


async def add_refresh_token(
    session: AsyncConnection, token_hash: str, user_id: uuid.UUID, family_id: uuid.UUID, expires_at: datetime
) -> None:
    await session.execute(
        insert(refresh_tokens).values(
            token_hash=token_hash, user_id=user_id, family_id=family_id, expires_at=expires_at
        )
    )


async def get_refresh_token(session: AsyncConnection, token_hash: str) -> AnyRow | None:
    statement = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).with_for_update()
    return (await session.execute(statement)).first()


async def mark_rotated(session: AsyncConnection, token_hash: str, now: datetime) -> None:
    await session.execute(
        update(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).values(rotated_at=now)
    )


async def end_family(session: AsyncConnection, family_id: uuid.UUID) -> None:
    await session.execute(delete(refresh_tokens).where(refresh_tokens.c.family_id == family_id))


async def end_sessions_of_users(session: AsyncConnection, user_ids: list[uuid.UUID]) -> None:
    if user_ids:
        await session.execute(delete(refresh_tokens).where(refresh_tokens.c.user_id.in_(user_ids)))


async def family_alive(session: AsyncConnection, family_id: uuid.UUID, now: datetime) -> bool:
    """Whether the login still has a current (not rotated, not expired) refresh token."""
    statement = select(refresh_tokens.c.token_hash).where(
        refresh_tokens.c.family_id == family_id,
        refresh_tokens.c.rotated_at.is_(None),
        refresh_tokens.c.expires_at > now,
    )
    return (await session.execute(statement.limit(1))).first() is not None


# password resets


async def add_reset(
    session: AsyncConnection, token_hash: str, user_id: uuid.UUID, expires_at: datetime
) -> None:
    await session.execute(
        insert(password_resets).values(token_hash=token_hash, user_id=user_id, expires_at=expires_at)
    )


async def get_reset(session: AsyncConnection, token_hash: str) -> AnyRow | None:
    statement = select(password_resets).where(password_resets.c.token_hash == token_hash).with_for_update()
    return (await session.execute(statement)).first()


async def use_resets_of(session: AsyncConnection, user_id: uuid.UUID, now: datetime) -> None:
    """Every open reset of the user is used up (a reset link works once, and only the newest matters)."""
    await session.execute(
        update(password_resets)
        .where(password_resets.c.user_id == user_id, password_resets.c.used_at.is_(None))
        .values(used_at=now)
    )


# login throttle


async def throttle_state(session: AsyncConnection, key: str) -> ThrottleState | None:
    statement = select(login_throttle).where(login_throttle.c.key == key).with_for_update()
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return ThrottleState(row.failures, row.window_started_at, row.locked_until)


async def put_throttle_state(session: AsyncConnection, key: str, state: ThrottleState) -> None:
    values = {
        "key": key,
        "failures": state.failures,
        "window_started_at": state.window_started_at,
        "locked_until": state.locked_until,
    }
    statement = pg_insert(login_throttle).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[login_throttle.c.key],
        set_={name: statement.excluded[name] for name in values if name != "key"},
    )
    await session.execute(statement)


async def clear_throttle(session: AsyncConnection, key: str) -> None:
    await session.execute(delete(login_throttle).where(login_throttle.c.key == key))


# housekeeping


async def delete_stale(session: AsyncConnection, now: datetime, throttle_window: timedelta) -> None:
    """Forget what can no longer matter: throttle counts whose window and lockout are over, refresh tokens
    past their expiry (a rotated one is kept until then, so its reuse is still recognised), and reset
    links that were used or expired."""
    await session.execute(
        delete(login_throttle).where(
            login_throttle.c.window_started_at < now - throttle_window,
            or_(login_throttle.c.locked_until.is_(None), login_throttle.c.locked_until < now),
        )
    )
    await session.execute(delete(refresh_tokens).where(refresh_tokens.c.expires_at < now))
    await session.execute(
        delete(password_resets).where(
            or_(password_resets.c.used_at.is_not(None), password_resets.c.expires_at < now)
        )
    )
