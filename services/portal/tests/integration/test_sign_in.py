"""Point 2 of issue 11: granting a contact a login sends an invitation mail through the mail sink; the
invitation sets a password (ASVS 5.0 rules); login, refresh-token rotation and reuse, logout, password
reset, lockout and its expiry, and no email enumeration."""

from __future__ import annotations

import asyncio
import time

from portal_api_helpers import PASSWORD, Platform, auth


async def test_an_invited_contact_sets_a_password_from_the_mailed_link_and_logs_in(platform: Platform):
    customer, contact = await platform.customer_with_contact()
    await platform.open_portal(customer["id"])
    user = await platform.grant(contact["id"], ["view", "edit_company"])
    assert user["status"] == "invited"
    assert user["permissions"] == ["view", "edit_company"]
    assert user["email"] == contact["email"]

    token = await platform.invitation_token(user["email"])
    too_short = await platform.portal.post(f"/v1/portal/auth/invitations/{token}", json={"password": "short"})
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["field"] == "password"
    common = await platform.portal.post(
        f"/v1/portal/auth/invitations/{token}", json={"password": "password123"}
    )
    assert common.status_code == 422
    assert "common" in common.json()["detail"]
    accepted = await platform.portal.post(f"/v1/portal/auth/invitations/{token}", json={"password": PASSWORD})
    assert accepted.status_code == 204
    again = await platform.portal.post(f"/v1/portal/auth/invitations/{token}", json={"password": PASSWORD})
    assert again.status_code == 422, "an invitation link works once"

    login = await platform.login(user["email"].upper())
    assert login.status_code == 200, login.text
    tokens = login.json()
    assert tokens["token_type"] == "bearer"
    assert 0 < tokens["expires_in"] <= 900
    me = await platform.portal.get("/v1/portal/me", headers=auth(tokens["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == customer["id"]


async def test_long_passphrases_of_any_characters_are_taken(platform: Platform):
    customer, contact = await platform.customer_with_contact()
    await platform.open_portal(customer["id"])
    user = await platform.grant(contact["id"])
    token = await platform.invitation_token(user["email"])
    passphrase = "ÆØÅ 🙂 " + "x" * 100
    accepted = await platform.portal.post(
        f"/v1/portal/auth/invitations/{token}", json={"password": passphrase}
    )
    assert accepted.status_code == 204
    assert (await platform.login(user["email"], passphrase)).status_code == 200


async def test_a_refresh_token_works_once_and_its_reuse_ends_the_whole_login(platform: Platform):
    _, user, tokens = await platform.portal_user()
    first = await platform.portal.post(
        "/v1/portal/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert (
        await platform.portal.get("/v1/portal/me", headers=auth(rotated["access_token"]))
    ).status_code == 200

    replay = await platform.portal.post(
        "/v1/portal/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert replay.status_code == 401
    # The thief's replay ended the family: the rotated tokens stop working too.
    after = await platform.portal.post(
        "/v1/portal/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert after.status_code == 401
    assert (
        await platform.portal.get("/v1/portal/me", headers=auth(rotated["access_token"]))
    ).status_code == 401
    # Another login of the same user is untouched.
    assert (await platform.login(user["email"])).status_code == 200


async def test_logout_ends_the_login_at_once(platform: Platform):
    _, _, tokens = await platform.portal_user()
    out = await platform.portal.post(
        "/v1/portal/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert out.status_code == 204
    assert (
        await platform.portal.get("/v1/portal/me", headers=auth(tokens["access_token"]))
    ).status_code == 401
    refresh = await platform.portal.post(
        "/v1/portal/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_a_password_reset_link_sets_a_new_password_once_and_ends_every_session(platform: Platform):
    _, user, tokens = await platform.portal_user()
    asked = await platform.portal.post("/v1/portal/auth/password-reset", json={"email": user["email"]})
    assert asked.status_code == 202
    token = await platform.reset_token(user["email"])
    new_password = "a new and long enough password"
    done = await platform.portal.post(
        f"/v1/portal/auth/password-reset/{token}", json={"password": new_password}
    )
    assert done.status_code == 204
    again = await platform.portal.post(
        f"/v1/portal/auth/password-reset/{token}", json={"password": "another one, long"}
    )
    assert again.status_code == 422
    assert (
        await platform.portal.get("/v1/portal/me", headers=auth(tokens["access_token"]))
    ).status_code == 401
    assert (await platform.login(user["email"])).status_code == 401
    assert (await platform.login(user["email"], new_password)).status_code == 200


async def test_unknown_and_known_emails_get_the_same_answers_in_similar_time(platform: Platform):
    _, user, _ = await platform.portal_user()
    unknown = f"nobody-{user['id'][:8]}@ostbo.example"

    async def timed_login(email: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        response = await platform.login(email, "not the password at all")
        return response.status_code, response.json()["detail"], time.perf_counter() - started

    known_answer = await timed_login(user["email"])
    unknown_answer = await timed_login(unknown)
    assert known_answer[:2] == unknown_answer[:2] == (401, "The email or password is wrong.")
    # Both verify an argon2id hash; neither is an order of magnitude faster.
    assert unknown_answer[2] > known_answer[2] / 4
    reset_known = await platform.portal.post("/v1/portal/auth/password-reset", json={"email": user["email"]})
    reset_unknown = await platform.portal.post("/v1/portal/auth/password-reset", json={"email": unknown})
    assert (reset_known.status_code, reset_known.json()) == (reset_unknown.status_code, reset_unknown.json())


async def test_repeated_failures_lock_the_email_for_a_while_known_or_not(platform: Platform):
    _, user, _ = await platform.portal_user()
    unknown = f"nobody-{user['id'][:8]}@ostbo.example"
    for email in (user["email"], unknown):
        answers = [(await platform.login(email, "wrong password!")).status_code for _ in range(3)]
        assert answers == [401, 401, 401]
        locked = await platform.login(email, PASSWORD)
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.json()["detail"]
        assert int(locked.headers["Retry-After"]) >= 1
    # The lockout (2 s in these tests) runs out; then the right password works.
    await asyncio.sleep(2.2)
    assert (await platform.login(user["email"])).status_code == 200


async def test_many_failures_from_one_client_address_lock_that_address_for_every_email(platform: Platform):
    _, user, _ = await platform.portal_user()
    # Three emails, two failures each: no email reaches its limit (3), the address reaches its own (6).
    for n in range(3):
        for _ in range(2):
            assert (await platform.login(f"guess-{n}@ostbo.example", "wrong password!")).status_code == 401
    locked = await platform.login(user["email"])
    assert locked.status_code == 429
    await asyncio.sleep(2.2)
    assert (await platform.login(user["email"])).status_code == 200


async def test_a_password_hashed_with_weaker_parameters_is_rehashed_at_the_next_login(platform: Platform):
    from argon2 import PasswordHasher
    from sqlalchemy import select, update

    from portal.adapters.tables import portal_users

    _, user, _ = await platform.portal_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    runtime = platform.portal.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.session_factory() as session:
        await session.execute(
            update(portal_users).where(portal_users.c.id == user["id"]).values(password_hash=weak)
        )
        await session.commit()
    assert (await platform.login(user["email"])).status_code == 200
    async with runtime.session_factory() as session:
        stored = (
            await session.execute(select(portal_users.c.password_hash).where(portal_users.c.id == user["id"]))
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await platform.login(user["email"])).status_code == 200


async def test_housekeeping_forgets_stale_counts_expired_sessions_and_spent_links(platform: Platform):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from portal.adapters import repository
    from portal.adapters.tables import login_throttle, refresh_tokens
    from portal.domain.throttle import ThrottleState

    _, user, tokens = await platform.portal_user()
    runtime = platform.portal.app.state.runtime  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    stale, locked = f"email:stale-{user['id']}", f"email:locked-{user['id']}"
    async with runtime.session_factory() as session:
        await repository.put_throttle_state(session, stale, ThrottleState(2, now - timedelta(hours=1)))
        await repository.put_throttle_state(
            session, locked, ThrottleState(5, now - timedelta(hours=1), now + timedelta(minutes=5))
        )
        await repository.add_refresh_token(
            session, f"expired-{user['id']}", user["id"], user["id"], now - timedelta(seconds=1)
        )
        await session.commit()
        await repository.delete_stale(session, now, timedelta(minutes=15))
        await session.commit()
        keys = set((await session.execute(select(login_throttle.c.key))).scalars())
        assert stale not in keys
        assert locked in keys, "a running lockout is kept"
        expired = select(func.count()).where(refresh_tokens.c.token_hash == f"expired-{user['id']}")
        assert (await session.execute(expired)).scalar_one() == 0
    # The live login is untouched.
    assert (
        await platform.portal.get("/v1/portal/me", headers=auth(tokens["access_token"]))
    ).status_code == 200
