"""Point 5 of issue 11 in a real browser: Debian's Chromium (installed by scripts/test.sh; never a browser
download), driven by Playwright, goes invitation mail → set password → login → company and catalogs → edit a
phone number → logout, and saves a screenshot of each page (under `.run/screenshots/portal/`, which git
ignores). The pages are checked for what a user notices, and never carry internal remarks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from portal_api_helpers import PASSWORD, Platform
from servicekit.testing.fuzzing import served_on_loopback
from servicekit.testing.plugin import TokenFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(
    os.environ.get("PORTAL_SCREENSHOTS", Path(__file__).resolve().parents[4] / ".run/screenshots/portal")
)
REMARK = "INTERNAL-REMARK-never-for-portal-users"
PRICE_BOOK = {"system": "cpq", "reference": "pb-42", "label": "Negotiated prices 2027"}


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs it (apt-get install -y chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def shot(page: Page, name: str) -> None:
    image = await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert len(image) > 1000, "a page that shows something"
    assert REMARK not in await page.content()


async def test_a_customer_user_goes_from_the_invitation_mail_to_logout_in_chromium(
    platform: Platform, browser: Browser, make_token: TokenFactory
):
    admin = {"Authorization": f"Bearer {make_token('office_admin')}"}
    catalog = await platform.portal.post(
        "/v1/portal/catalogs", json={"name": "Spare parts 2027"}, headers=admin
    )
    customer, contact = await platform.customer_with_contact()
    await platform.open_portal(
        customer["id"], catalog_ids=[catalog.json()["id"]], resources={"price_books": [PRICE_BOOK]}
    )
    user = await platform.grant(contact["id"], ["view", "edit_company"])
    link = await platform.invitation_link(user["email"])

    async with served_on_loopback(platform.portal.app) as base_url:  # type: ignore[attr-defined]
        # A phone-sized window: the pages must read there too.
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()

        await page.goto(base_url + "/portal/" + link.split("/portal/", 1)[1])
        await expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
        await shot(page, "1-set-password")
        await page.get_by_label("New password", exact=True).fill(PASSWORD)
        await page.get_by_label("Repeat the new password").fill(PASSWORD)
        await page.get_by_role("button", name="Save password").click()
        await expect(page.get_by_text("Your password is saved")).to_be_visible()
        await shot(page, "2-password-saved")

        await page.get_by_role("link", name="Go to login").click()
        await page.get_by_label("Email").fill(user["email"])
        await page.get_by_label("Password", exact=True).fill("a wrong password")
        await page.keyboard.press("Enter")  # the keyboard sends the form
        await expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
        await shot(page, "3-login-refused")
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()

        await expect(page.get_by_role("heading", name="Østbø Bygg AS")).to_be_visible()
        await shot(page, "4-my-company")
        await page.get_by_role("link", name="My catalogs").click()
        await expect(page.get_by_text("Spare parts 2027")).to_be_visible()
        await expect(page.get_by_text("Negotiated prices 2027")).to_be_visible()
        await shot(page, "5-my-catalogs")

        await page.get_by_role("link", name="My contacts").click()
        phone = page.get_by_label("Phone of Kari Nordmann")
        await expect(phone).to_have_value("+4741234567")
        await phone.fill("900 11 222")
        await page.get_by_role("button", name="Save phone").click()
        await expect(page.get_by_text("Saved.")).to_be_visible()
        await expect(page.get_by_label("Phone of Kari Nordmann")).to_have_value("+4790011222", timeout=15_000)
        await shot(page, "6-phone-changed")

        await page.get_by_role("button", name="Log out").click()
        await expect(page.get_by_text("You are logged out.")).to_be_visible()
        await shot(page, "7-logged-out")
        await page.goto(base_url + "/portal/company")
        await expect(page.get_by_role("button", name="Log in")).to_be_visible()
        await context.close()
