import asyncio
import json
import time

import jwt
import pytest

from servicekit.auth import (
    CustomerUser,
    OfficeUser,
    Permission,
    ServiceCaller,
    TokenVerifier,
    issue_service_token,
    issue_token,
    principal_from_claims,
)
from servicekit.problems import Forbidden, Unauthorized
from servicekit.settings import JwtSettings, ServiceSettings

SETTINGS = JwtSettings(jwt_secret="s" * 40, jwt_issuer="crm-test", jwt_audience="crm")


async def test_a_token_issued_is_verified_with_office_roles_and_name():
    token = issue_token(SETTINGS, subject="u1", office_id="o1", roles=["manager"], name="Kari")
    principal = await TokenVerifier(SETTINGS).verify(token)
    assert isinstance(principal, OfficeUser)
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
    assert principal == ServiceCaller(subject="search", name=None)
    assert principal.actor.kind == "service"


def test_a_portal_token_names_its_customer_and_contact():
    claims = {"sub": "p1", "kind": "customer_user", "office_id": "o", "customer_id": "c", "contact_id": "k"}
    principal = principal_from_claims({**claims, "permissions": ["view"]})
    assert isinstance(principal, CustomerUser)
    assert (principal.customer_id, principal.contact_id, principal.portal_permissions) == ("c", "k", {"view"})
    assert principal.actor.kind == "customer_user"
    with pytest.raises(Unauthorized, match="customer"):
        principal_from_claims({**claims, "customer_id": None})


@pytest.mark.parametrize("missing", ["exp", "iat", "sub"])
async def test_a_token_without_exp_iat_or_sub_is_refused_though_well_signed(missing):
    now = int(time.time())
    claims = {"iss": "crm-test", "aud": "crm", "sub": "u", "office_id": "o", "iat": now, "exp": now + 60}
    del claims[missing]
    token = jwt.encode(claims, SETTINGS.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthorized, match=missing) as refused:
        await TokenVerifier(SETTINGS).verify(token)
    assert refused.value.headers == {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@pytest.mark.parametrize("claims", [{"roles": "office_admin"}, {"roles": [1]}, {"office_id": 7}, {"sub": 5}])
def test_claims_of_the_wrong_type_are_refused(claims):
    with pytest.raises(Unauthorized):
        principal_from_claims({"sub": "u", "office_id": "o", **claims})


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


async def test_a_remembered_token_is_refused_once_it_expires():
    verifier = TokenVerifier(SETTINGS)
    token = issue_token(SETTINGS, subject="u", office_id="o", ttl_seconds=1)
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # the second use is answered from memory
    await asyncio.sleep(1.1)
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


async def test_a_tampered_copy_of_a_remembered_token_is_still_refused():
    verifier = TokenVerifier(SETTINGS)
    token = issue_token(SETTINGS, subject="u", office_id="o")
    await verifier.verify(token)
    with pytest.raises(Unauthorized):
        await verifier.verify(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])


def test_the_relays_plain_database_url_carries_the_tls_choice_in_asyncpgs_words():
    settings = ServiceSettings(
        service_name="x", port=1, database_url="postgresql+asyncpg://u:p@127.0.0.1:5432/db?ssl=disable"
    )
    assert settings.sync_free_database_url == "postgresql://u:p@127.0.0.1:5432/db?sslmode=disable"


class FixedJwks:
    """Stands in for PyJWKClient: the identity provider's one signing key."""

    def __init__(self, public_key) -> None:
        self.public_key = public_key

    def get_signing_key_from_jwt(self, token: str):
        return jwt.PyJWK.from_dict(
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key)), "alg": "RS256"}
        )


@pytest.fixture(scope="module")
def identity_provider_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def verifier_with_identity_provider(identity_provider_key) -> TokenVerifier:
    settings = SETTINGS.model_copy(
        update={"jwt_jwks_url": "https://idp.example/jwks", "service_token_secret": "v" * 40}
    )
    verifier = TokenVerifier(settings)
    verifier.jwks = FixedJwks(identity_provider_key.public_key())  # type: ignore[assignment]
    return verifier


def idp_token(identity_provider_key, **claims) -> str:
    now = int(time.time())
    base = {"iss": "crm-test", "aud": "crm", "iat": now, "exp": now + 60, "sub": "u1", "office_id": "o1"}
    return jwt.encode({**base, **claims}, identity_provider_key, algorithm="RS256")


async def test_with_an_identity_provider_users_come_from_it_and_services_sign_with_the_service_key(
    identity_provider_key,
):
    verifier = verifier_with_identity_provider(identity_provider_key)
    user = await verifier.verify(idp_token(identity_provider_key, roles=["viewer"]))
    assert isinstance(user, OfficeUser)
    service_settings = SETTINGS.model_copy(update={"service_token_secret": "v" * 40})
    service = await verifier.verify(issue_service_token(service_settings, "contact"))
    assert service == ServiceCaller(subject="contact", name="contact service")


async def test_the_service_key_never_makes_a_user_and_the_old_shared_secret_is_no_key_at_all(
    identity_provider_key,
):
    verifier = verifier_with_identity_provider(identity_provider_key)
    service_key_settings = SETTINGS.model_copy(update={"jwt_secret": "v" * 40})
    with pytest.raises(Unauthorized):  # HS256, not a service: the identity provider's key is asked
        await verifier.verify(issue_token(service_key_settings, subject="u", office_id="o1"))
    with pytest.raises(Unauthorized):  # a service token signed with the JWT secret, not the service key
        await verifier.verify(issue_service_token(SETTINGS, "contact"))


def test_production_with_an_identity_provider_needs_a_service_token_secret():
    production = {
        "service_name": "x",
        "port": 1,
        "database_url": "postgresql+asyncpg://x",
        "environment": "production",
        "jwt_jwks_url": "https://idp.example/jwks",
    }
    with pytest.raises(ValueError, match="SERVICE_TOKEN_SECRET"):
        ServiceSettings(**production)
    ServiceSettings(**production, service_token_secret="w" * 40)


async def test_a_service_acting_for_a_portal_user_is_a_service_whose_changes_name_the_portal_user():
    portal_user = CustomerUser(
        subject="pu-1",
        name="Kari Nordmann",
        office_id="o1",
        customer_id="c1",
        contact_id="k1",
        portal_permissions=frozenset({"view", "edit_company"}),
    )
    token = issue_service_token(SETTINGS, "portal", acting_for=portal_user)
    service = await TokenVerifier(SETTINGS).verify(token)
    assert isinstance(service, ServiceCaller)
    assert service.acting_for == portal_user
    assert (service.actor.kind, service.actor.id, service.actor.name) == (
        "customer_user",
        "pu-1",
        "Kari Nordmann",
    )


def test_acting_for_must_name_a_whole_portal_user():
    now = int(time.time())
    claims = {"sub": "portal", "kind": "service", "iat": now, "exp": now + 60}
    with pytest.raises(Unauthorized):
        principal_from_claims({**claims, "acting_for": "pu-1"})
    with pytest.raises(Unauthorized):
        principal_from_claims({**claims, "acting_for": {"sub": "pu-1", "office_id": "o1"}})


async def test_a_portal_users_token_signed_with_the_staff_key_still_opens_no_staff_or_internal_route():
    # Portal users' tokens come from the portal with its own key and audience (401 everywhere else); even
    # a customer_user token signed with the platform's key is refused by staff and internal routes.
    from servicekit.deps import get_office_user, get_service

    token = issue_token(
        SETTINGS, subject="pu-1", office_id="o1", kind="customer_user", customer_id="c1", contact_id="k1"
    )
    principal = await TokenVerifier(SETTINGS).verify(token)
    assert isinstance(principal, CustomerUser)
    with pytest.raises(Forbidden):
        await get_office_user(principal)
    with pytest.raises(Forbidden):
        await get_service(principal)
