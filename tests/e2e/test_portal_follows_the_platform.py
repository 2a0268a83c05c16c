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
