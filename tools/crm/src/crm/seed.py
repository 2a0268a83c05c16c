"""`crm seed N`: load a Nordic demo data set (`crm.seed_data`) through the services' public APIs.

Running it twice creates nothing new: a customer is synced by its `crm-seed` external id (PUT, which
changes nothing when the values are the same), a contact carries its `crm-seed` external id and an
activity its subject, and both are first looked up on the customer; their creates also carry an
`Idempotency-Key`, so a request retried after a lost answer is not applied twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from crm import seed_data
from crm.reach import (
    SERVICE_URLS,
    ActivityUrl,
    ContactUrl,
    CustomerUrl,
    console,
    give_up,
    output,
    staff_token,
)

_RETRIES = 5
"""Tries of a request the service answered 503 (its read-through of a customer not yet copied)."""


class ServiceDown(Exception):
    """A service could not be reached, or refused the token (every request would fail alike)."""


class Refused(Exception):
    """A service answered a request with an error."""


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(which seeded record, why)"""


class Loader:
    def __init__(self, clients: dict[str, httpx.AsyncClient], tally: Tally) -> None:
        self.clients = clients
        self.tally = tally

    async def call(
        self, service: str, method: str, path: str, expected: tuple[int, ...], **kwargs: Any
    ) -> httpx.Response:
        client = self.clients[service]
        for attempt in range(_RETRIES):
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise ServiceDown(
                    f"the {service} service at {client.base_url} is down: {type(exc).__name__}: {exc}"
                ) from None
            if response.status_code in (401, 403):
                raise ServiceDown(
                    f"the {service} service at {client.base_url} refused the office admin token of crm "
                    f"({_problem(response)}); give crm the services' JWT_SECRET"
                )
            if response.status_code == 503 and attempt < _RETRIES - 1:
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if response.status_code not in expected:
                raise Refused(_problem(response))
            return response
        raise AssertionError("unreachable")

    async def customer(self, seeded: seed_data.SeedCustomer) -> None:
        try:
            answer = await self.call(
                "customer",
                "PUT",
                f"/v1/customers/by-external-id/{seed_data.EXTERNAL_SYSTEM}/{seeded.key}",
                (200, 201),
                json=seeded.body,
            )
        except Refused as exc:
            self.tally.failures.append((f"customer {seeded.key}", str(exc)))
            return
        self.tally.counts["customers created" if answer.status_code == 201 else "customers existing"] += 1
        customer_id = answer.json()["id"]
        try:
            contact_ids = await self.contacts(customer_id, seeded)
            await self.activities(customer_id, seeded, contact_ids)
        except Refused as exc:  # a lookup of what the customer already has
            self.tally.failures.append((f"customer {seeded.key}'s contacts and activities", str(exc)))

    async def contacts(self, customer_id: str, seeded: seed_data.SeedCustomer) -> list[str | None]:
        listed = await self.call(
            "contact",
            "GET",
            "/v1/contacts",
            (200,),
            params={"customer_id": customer_id, "include_inactive": "true", "limit": 200},
        )
        known = {
            item["external_ids"].get(seed_data.EXTERNAL_SYSTEM): item["id"] for item in listed.json()["items"]
        }
        ids: list[str | None] = []
        for contact in seeded.contacts:
            if contact.key in known:
                self.tally.counts["contacts existing"] += 1
                ids.append(known[contact.key])
                continue
            try:
                answer = await self.call(
                    "contact",
                    "POST",
                    "/v1/contacts",
                    (201,),
                    json={**contact.body, "customer_id": customer_id},
                    headers={"Idempotency-Key": f"crm-seed-contact-{contact.key}"},
                )
            except Refused as exc:
                self.tally.failures.append((f"contact {contact.key}", str(exc)))
                ids.append(None)
                continue
            replayed = answer.headers.get("Idempotent-Replayed") == "true"
            self.tally.counts["contacts existing" if replayed else "contacts created"] += 1
            ids.append(answer.json()["id"])
        return ids

    async def activities(
        self, customer_id: str, seeded: seed_data.SeedCustomer, contact_ids: list[str | None]
    ) -> None:
        listed = await self.call(
            "activity", "GET", "/v1/activities", (200,), params={"customer_id": customer_id, "limit": 200}
        )
        subjects = {item["subject"] for item in listed.json()["items"]}
        for activity in seeded.activities:
            if activity.body["subject"] in subjects:
                self.tally.counts["activities existing"] += 1
                continue
            named = [contact_ids[n] for n in activity.contacts if contact_ids[n] is not None]
            try:
                answer = await self.call(
                    "activity",
                    "POST",
                    "/v1/activities",
                    (201,),
                    json={**activity.body, "customer_id": customer_id, "contact_ids": named},
                    headers={"Idempotency-Key": f"crm-seed-activity-{activity.key}"},
                )
            except Refused as exc:
                self.tally.failures.append((f"activity {activity.key}", str(exc)))
                continue
            replayed = answer.headers.get("Idempotent-Replayed") == "true"
            self.tally.counts["activities existing" if replayed else "activities created"] += 1


def _problem(response: httpx.Response) -> str:
    try:
        problem = response.json()
        return f"{response.status_code} {problem.get('title', '')}: {problem.get('detail', '')}".strip()
    except ValueError:
        return f"{response.status_code} {response.text[:200]}"


async def load(
    count: int, seed: int, office: str, urls: dict[str, str], concurrency: int, progress: Progress
) -> Tally:
    tally = Tally()
    headers = {"Authorization": f"Bearer {staff_token(office, subject='crm-seed')}"}
    clients = {
        name: httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0) for name, url in urls.items()
    }
    try:
        loader = Loader(clients, tally)
        task = progress.add_task("seeding", total=count)
        positions = iter(range(count))

        async def worker() -> None:
            for position in positions:
                await loader.customer(seed_data.customer(seed, position))
                progress.advance(task)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        for client in clients.values():
            await client.aclose()
    return tally


_LISTS = {"customer": "/v1/customers", "contact": "/v1/contacts", "activity": "/v1/activities"}


def check_services(urls: dict[str, str], office: str) -> None:
    """Before the progress bar: each service is up and takes crm's token, or one line says which not."""
    headers = {"Authorization": f"Bearer {staff_token(office, subject='crm-seed')}"}
    for name, url in urls.items():
        try:
            answer = httpx.get(f"{url}{_LISTS[name]}", params={"limit": 1}, headers=headers, timeout=10.0)
        except httpx.HTTPError as exc:
            give_up(f"the {name} service at {url} is down: {type(exc).__name__}: {exc}")
        if answer.status_code in (401, 403):
            give_up(
                f"the {name} service at {url} refused the office admin token of crm ({_problem(answer)}); "
                "give crm the services' JWT_SECRET"
            )
        if answer.status_code != 200:
            give_up(f"the {name} service at {url} is not working: {_problem(answer)}")


def seed(
    count: Annotated[int, typer.Argument(min=1, max=100_000, help="How many customers.")],
    office: Annotated[str, typer.Option(help="The office (tenant) that gets them.")] = "office-1",
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same data set.")] = 42,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Customers loaded at once.")] = 4,
    customer_url: CustomerUrl = SERVICE_URLS["customer"],
    contact_url: ContactUrl = SERVICE_URLS["contact"],
    activity_url: ActivityUrl = SERVICE_URLS["activity"],
) -> None:
    """Load a Nordic demo data set of COUNT customers with contacts and activities.

    Norwegian, Swedish, Finnish and Danish companies with valid organisation numbers and phones, loaded
    through the services' APIs. Running it again with the same seed creates nothing new."""
    urls = {"customer": customer_url, "contact": contact_url, "activity": activity_url}
    check_services(urls, office)
    columns = (TextColumn("seeding customers"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console) as progress:
            tally = asyncio.run(load(count, seed, office, urls, concurrency, progress))
    except ServiceDown as exc:
        give_up(str(exc))
    table = Table(title=f"crm seed {count} --seed {seed} into {office}")
    table.add_column("records")
    for column in ("created", "already there"):
        table.add_column(column, justify="right")
    for kind in ("customers", "contacts", "activities"):
        table.add_row(kind, str(tally.counts[f"{kind} created"]), str(tally.counts[f"{kind} existing"]))
    output().print(table)
    if tally.failures:
        failed = Table(title=f"{len(tally.failures)} refused")
        failed.add_column("record")
        failed.add_column("why", overflow="fold")
        for record, why in tally.failures[:20]:
            failed.add_row(record, why)
        output().print(failed)
        raise typer.Exit(1)
