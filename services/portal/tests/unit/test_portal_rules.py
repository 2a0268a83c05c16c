"""The portal's pure rules: passwords (ASVS 5.0), the login throttle, permissions, visible catalogs and
whether a customer user may be logged in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from domainkit import InvalidField
from portal.adapters.security import Passwords, common_passwords
from portal.config import Settings
from portal.domain.access import normalise_permissions, standing, visible_catalogs
from portal.domain.passwords import check_new_password
from portal.domain.throttle import ThrottlePolicy, after_failure, locked_for

COMMON = common_passwords()
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=5))


@pytest.mark.parametrize("password", ["12345678", "password", "Password1", "iloveyou", "QWERTYUIOP"])
def test_common_and_short_passwords_are_refused(password):
    with pytest.raises(InvalidField) as refused:
        check_new_password(password, COMMON)
    assert refused.value.field == "password"


def test_eight_characters_of_any_kind_pass_and_64_and_more_are_allowed():
    for password in ("zq7!vvpe", "æøå ü ßé", "a" * 64 + "b", "lowercase only but long", "🙂" * 8):
        check_new_password(password, COMMON)
    with pytest.raises(InvalidField):
        check_new_password("x" * 7, COMMON)
    with pytest.raises(InvalidField):
        check_new_password("x" * 129, COMMON)


def test_the_common_list_is_in_the_repository_and_large():
    assert len(COMMON) > 3000
    assert "password" in COMMON
    assert "qwertyuiop" in COMMON


def test_failures_lock_after_the_limit_and_the_lock_runs_out():
    state = None
    for _ in range(2):
        state = after_failure(state, POLICY, NOW)
        assert locked_for(state, NOW) is None
    state = after_failure(state, POLICY, NOW)
    assert locked_for(state, NOW) == timedelta(minutes=5)
    assert locked_for(state, NOW + timedelta(minutes=5)) is None
    # After a lockout ran out, counting starts again.
    state = after_failure(state, POLICY, NOW + timedelta(minutes=6))
    assert (state.failures, locked_for(state, NOW + timedelta(minutes=6))) == (1, None)


def test_failures_spread_beyond_the_window_never_lock():
    state = None
    for minute in range(0, 60, 16):
        state = after_failure(state, POLICY, NOW + timedelta(minutes=minute))
    assert state is not None
    assert state.failures == 1


def test_view_is_always_granted_and_unknown_permissions_are_refused():
    assert normalise_permissions(["edit_company", "place_orders"]) == ["view", "place_orders", "edit_company"]
    with pytest.raises(InvalidField):
        normalise_permissions(["admin"])


def test_an_empty_choice_of_catalogs_shows_every_active_one():
    a, b, old = (SimpleNamespace(id=uuid.uuid4(), active=active) for active in (True, True, False))
    assert visible_catalogs(set(), [a, b, old]) == [a, b]
    assert visible_catalogs({b.id, old.id}, [a, b, old]) == [b]


def test_a_suspended_or_switched_off_portal_says_why():
    assert standing(user_status="active", customer_active=True, portal_enabled=True).allowed
    suspended = standing(user_status="active", customer_active=False, portal_enabled=True)
    assert not suspended.allowed
    assert "suspended" in (suspended.reason or "")
    assert not standing(user_status="active", customer_active=True, portal_enabled=False).allowed
    assert not standing(user_status="disabled", customer_active=True, portal_enabled=True).allowed
    assert not standing(user_status="active", customer_active=None, portal_enabled=True).allowed


def test_passwords_are_argon2id_with_owasp_parameters_and_weaker_hashes_are_redone():
    passwords = Passwords(Settings())
    stored = passwords.hash("a long enough password")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert passwords.verify(stored, "a long enough password")
    assert not passwords.verify(stored, "another password")
    assert not passwords.verify(None, "anything at all")
    assert not passwords.needs_rehash(stored)
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("a long enough password")
    assert passwords.needs_rehash(weak)


def test_production_refuses_the_development_portal_secret():
    with pytest.raises(ValueError, match="PORTAL_TOKEN_SECRET"):
        Settings(environment="production", jwt_secret="p" * 40)
