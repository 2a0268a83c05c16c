import time

import jwt
import pytest

from servicekit.auth import Permission, TokenVerifier, issue_token, principal_from_claims
from servicekit.problems import Forbidden, Unauthorized
from servicekit.settings import JwtSettings, ServiceSettings

SETTINGS = JwtSettings(jwt_secret="s" * 40, jwt_issuer="crm-test", jwt_audience="crm")


async def test_a_token_issued_is_verified_with_office_roles_and_name():
    token = issue_token(SETTINGS, subject="u1", office_id="o1", roles=["manager"], name="Kari")
    principal = await TokenVerifier(SETTINGS).verify(token)
    assert (principal.subject, principal.office_id, principal.name) == ("u1", "o1", "Kari")
    assert principal.can(Permission.EDIT)
    assert not principal.can(Permission.ADMINISTER_OFFICE)
    assert principal.actor.kind == "user"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda: issue_token(JwtSettings(jwt_secret="x" * 40), subject="u", office_id="o"),
        lambda: issue_token(
            SETTINGS.model_copy(update={"jwt_audience": "other"}), subject="u", office_id="o"
        ),
        lambda: issue_token(SETTINGS.model_copy(update={"jwt_issuer": "evil"}), subject="u", office_id="o"),
        lambda: issue_token(SETTINGS, subject="u", office_id="o", ttl_seconds=-10),
        lambda: jwt.encode(
            {"sub": "u", "office_id": "o", "iss": "crm-test", "aud": "crm", "exp": time.time() + 60},
            "",
            algorithm="none",
        ),
    ],
)
async def test_forged_expired_or_foreign_tokens_are_refused(tamper):
    with pytest.raises(Unauthorized):
        await TokenVerifier(SETTINGS).verify(tamper())


def test_a_user_token_must_name_an_office():
    with pytest.raises(Unauthorized, match="office"):
        principal_from_claims({"sub": "u", "roles": ["viewer"]})


def test_a_service_token_needs_no_office():
    principal = principal_from_claims({"sub": "search", "kind": "service"})
    assert principal.kind == "service"
    assert principal.office_id is None


@pytest.mark.parametrize(
    ("role", "granted", "refused"),
    [
        ("viewer", {Permission.VIEW}, {Permission.EDIT, Permission.CREATE, Permission.DELETE}),
        (
            "manager",
            {Permission.VIEW, Permission.EDIT, Permission.CREATE, Permission.DELETE},
            {Permission.ADMINISTER_OFFICE},
        ),
        ("office_admin", set(Permission), set()),
        ("stranger", set(), {Permission.VIEW}),
    ],
)
def test_roles_grant_their_permissions_only(role, granted, refused):
    principal = principal_from_claims({"sub": "u", "office_id": "o", "roles": [role]})
    assert granted <= principal.permissions
    assert not (refused & principal.permissions)
    for permission in refused:
        with pytest.raises(Forbidden):
            principal.require(permission)


def test_production_refuses_the_development_secret():
    with pytest.raises(ValueError, match="JWT_SECRET"):
        ServiceSettings(
            service_name="x", port=1, database_url="postgresql+asyncpg://x", environment="production"
        )
    ServiceSettings(
        service_name="x",
        port=1,
        database_url="postgresql+asyncpg://x",
        environment="production",
        jwt_secret="r" * 40,
    )
