"""The barest create FastAPI can answer, for `bench/writes.py`: a JSON body validated by pydantic and a
bearer token checked with PyJWT, answered 201 with a small JSON body; no middleware, no database.

What it shows: how many requests per second the framework itself answers on this machine with the same
workers and load. A create through the customer service does all of this and at least one insert
transaction, so on saturated cores its rate is at most 1 / (1/bare + 1/raw inserts), whatever the
service does in between.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

from servicekit.settings import JwtSettings

settings = JwtSettings()
app = FastAPI()


class NewCustomer(BaseModel):
    name: str
    country: str


def bearer(authorization: Annotated[str, Header()]) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            authorization.removeprefix("Bearer "),
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )
    except jwt.PyJWTError as exc:
        raise HTTPException(401) from exc
    return claims


@app.post("/v1/customers", status_code=201)
async def create(body: NewCustomer, claims: Annotated[dict[str, Any], Depends(bearer)]) -> dict[str, str]:
    return {
        "id": str(uuid.uuid4()),
        "name": body.name,
        "country": body.country,
        "office": claims["office_id"],
    }


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ready"}
