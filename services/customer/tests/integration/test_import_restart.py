"""A job cut off by a restart goes on after its last committed batch: every row applied exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from customer.config import Settings
from customer.main import create_app
from customer_api_helpers import auth
from import_helpers import all_customers, csv_bytes, events_of_office, finished, upload
from servicekit.testing.services import running_in_process, settings_for_tests


async def test_a_job_stopped_mid_way_resumes_at_start_up_and_applies_every_row_once(
    customer_database, infra, topology, make_token, office_id
):
    settings = settings_for_tests(
        Settings, customer_database, infra, topology, import_poll_interval_s=0.2, import_batch_size=10
    )
    manager = make_token("manager")
    # Rows without a number or an external id: applied twice, a row would make a second customer.
    rows = [["name", "segment"]] + [[f"Kunde {n:04}", "SMB"] for n in range(300)]

    async with running_in_process(create_app(settings), "http://customer") as api:
        job = await upload(api, manager, csv_bytes(rows))
        async with asyncio.timeout(30):
            while True:
                progress = (await api.get(f"/v1/imports/{job['id']}", headers=auth(manager))).json()
                if progress["rows_done"] > 0:
                    break
                await asyncio.sleep(0.005)
    # The app has stopped (its worker cancelled mid-batch); a new process starts.
    async with running_in_process(create_app(settings), "http://customer") as api:
        cut_off = (await api.get(f"/v1/imports/{job['id']}", headers=auth(manager))).json()
        done = await finished(api, manager, job["id"])
        customers = await all_customers(api, manager)

    assert 0 < cut_off["rows_done"] < 300, "the job was not stopped mid-way"
    assert done["status"] == "done"
    assert (done["rows_done"], done["created"], done["failed"]) == (300, 300, 0)
    names = Counter(c["name"] for c in customers)
    assert len(names) == 300
    assert set(names.values()) == {1}
    created = [
        e for e, _ in await events_of_office(settings.database_url, office_id) if e == "customer.created"
    ]
    assert len(created) == 300
