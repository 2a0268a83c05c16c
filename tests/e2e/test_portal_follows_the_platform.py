"""The portal service as a real process beside the others, started as `scripts/up.sh` starts it: ready,
its login page served with its security headers, a customer's portal access set the moment the customer
exists (read through from the customer process), and the customer's deletion removes it."""

from __future__ import annotations

import httpx

from servicekit.testing.consumers import eventually


async def test_the_portal_serves_its_login_and_follows_a_customer_to_its_deletion(platform, make_token):
    headers = {"Authorization": f"Bearer {make_token('office_admin')}"}
    async with (
        httpx.AsyncClient(base_url=platform["portal"], timeout=10) as portal,
        httpx.AsyncClient(base_url=platform["customer"], headers=headers, timeout=10) as customer_api,
    ):
        assert (await portal.get("/readyz")).json()["status"] == "ready"
        login = await portal.get("/portal/login")
        assert login.status_code == 200
        assert "default-src 'none'" in login.headers["content-security-policy"]
        assert 'name="csrf_token"' in login.text

        customer = await customer_api.post(
            "/v1/customers", json={"name": "Fjordkraft Service AS", "country": "NO"}
        )
        customer_id = customer.json()["id"]
        access_path = f"/v1/portal/customers/{customer_id}/access"
        opened = await portal.put(access_path, json={"enabled": True}, headers=headers)
        assert opened.status_code == 200, opened.text
        assert opened.json()["customer_active"] is True

        assert (await customer_api.delete(f"/v1/customers/{customer_id}")).status_code == 204

        async def removed() -> bool:
            return (await portal.get(access_path, headers=headers)).status_code == 404

        await eventually(removed, within=20)


async def test_behind_a_trusted_proxy_the_login_throttle_counts_the_forwarded_client(platform):
    """The portal runs as `scripts/up.sh` runs it; its proxy (here: loopback, the default of
    FORWARDED_ALLOW_IPS) names the client in X-Forwarded-For, and the per-client lockout follows that."""
    async with httpx.AsyncClient(base_url=platform["portal"], timeout=30) as portal:

        async def login(email: str, client: str) -> int:
            body = {"email": email, "password": "not the password"}
            answer = await portal.post(
                "/v1/portal/auth/login", json=body, headers={"X-Forwarded-For": client}
            )
            return answer.status_code

        for attempt in range(20):  # LOGIN_MAX_FAILURES_PER_CLIENT, spread over emails below their own limit
            assert await login(f"nobody{attempt}@example.com", "203.0.113.9") == 401
        assert await login("someone@example.com", "203.0.113.9") == 429
        assert await login("someone@example.com", "203.0.113.10") == 401
