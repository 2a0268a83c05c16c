"""README's quick tour, run as written (issue 13 point 1): its shell blocks under "See it work", with only
the ports and the mail folder pointed at this test's platform, then the portal login the tour ends at.

If README changes a command, this test runs the new one; if a step stops working, it fails here."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portal.mailsink import MailSink

ROOT = Path(__file__).resolve().parents[2]
README_PORTS = {"customer": 8001, "contact": 8002, "activity": 8003, "search": 8004, "portal": 8005}
BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def tour_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## See it work", 1)[1].split("\n## ", 1)[0]
    return BLOCK.findall(section)


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(folder=tmp_path / "mail").start()
    yield sink
    sink.stop()


@pytest.fixture
def platform_env(mail_sink: MailSink) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail_sink.port)}


def as_here(block: str, platform: dict[str, str], mail_dir: Path) -> str:
    for service, port in README_PORTS.items():
        block = block.replace(f"localhost:{port}", platform[service].removeprefix("http://"))
    return block.replace(".run/mail/", f"{mail_dir}/")


def test_the_readme_has_a_tour_through_every_service():
    tour = "\n".join(tour_blocks())
    assert all(f"localhost:{port}" in tour for port in README_PORTS.values())


async def test_the_quick_tour_works_as_written_and_ends_at_a_portal_login(
    platform, topology, mail_sink, tmp_path
):
    blocks = [as_here(block, platform, tmp_path / "mail") for block in tour_blocks()]
    waits = {
        # A reader takes longer than the search index's refresh between creating and searching: until
        # the customer's own event and its contact's (another service's, on its own way) are indexed.
        3: "".join(
            f'until curl -s "{platform["search"]}/v1/search/customers?q={q}" -H "Authorization: Bearer '
            '$TOKEN" | grep -q "$CUSTOMER_ID"; do sleep 0.3; done\n'
            for q in ("oestboe", "0047%2041234567")
        ),
    }
    script = (
        "set -euo pipefail\n"
        + "".join(
            f"{waits.get(number, '')}{block}echo '=== block {number} done'\n"
            for number, block in enumerate(blocks)
        )
        + "kill %1 2>/dev/null || true\n"
    )
    env = {**os.environ, "BUS_EXCHANGE": topology.exchange}
    finished = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    output = finished.stdout
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert all(f"=== block {number} done" in output for number in range(len(blocks)))
    assert "+4741234567" in output  # the contact's phone, normalised
    assert '"subject": "Send the offer"' in output.replace('":"', '": "'), output
    assert output.count("Østbø Bygg AS") >= 3  # found by a transliteration, a phone and a prefix
    [link] = re.findall(r"http://\S*/portal/invitation/\S+", output)

    invitation = link.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=platform["portal"], timeout=10) as portal:
        chosen = await portal.post(
            f"/v1/portal/auth/invitations/{invitation}", json={"password": "fjord and fjell by the sea"}
        )
        assert chosen.status_code == 204, chosen.text
        login = await portal.post(
            "/v1/portal/auth/login", json={"email": "kari@ostbo.no", "password": "fjord and fjell by the sea"}
        )
        assert login.status_code == 200, login.text
        me = await portal.get(
            "/v1/portal/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        )
        assert me.json()["name"] == "Østbø Bygg AS"
        assert (await portal.get("/portal/login")).status_code == 200
