"""Small helpers shared by the customer API tests."""

from __future__ import annotations

import httpx


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def create(api: httpx.AsyncClient, token: str, **body: object) -> httpx.Response:
    response = await api.post("/v1/customers", json={"name": "Østbø Bygg AS", **body}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response


async def change_settings(api: httpx.AsyncClient, admin_token: str, **settings: object) -> dict:
    response = await api.patch("/v1/settings", json=settings, headers=auth(admin_token))
    assert response.status_code == 200, response.text
    return response.json()
