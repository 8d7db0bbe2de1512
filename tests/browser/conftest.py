"""Playwright on Debian's Chromium against pytest-django's live server.

Fixtures: ``browser`` (one Chromium per test session and xdist worker), ``page`` (a fresh
context per test, pointed at the live server, Persian locale and Tehran time), and
``logged_in_page(user)`` which logs in through the real login form.
"""

import os

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import PASSWORD

# Playwright's sync API keeps an event loop running in this thread; Django would refuse ORM
# calls from the test body otherwise, though they really are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PEYVAND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="fa-IR", timezone_id="Asia/Tehran"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, email: str, password: str = PASSWORD):
    """Fill and submit the real login form."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture
def logged_in_page(page):
    """``logged_in_page(user)`` → the page, logged in as ``user`` and past the login form."""

    def login(user, password: str = PASSWORD):
        log_in(page, user.email, password)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return login
