"""Playwright on Debian's Chromium against pytest-django's live server.

Fixtures: ``browser`` (one Chromium per test session and xdist worker), ``new_page()`` (a
page in a fresh context, pointed at the live server, Persian locale and Tehran time), ``page``
(one such page per test), and ``logged_in_page(user)`` which logs in through the real login
form. Every live-server test starts with the rows the data migrations load
(``_migration_data``).
"""

import importlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps
from playwright.sync_api import sync_playwright

from peyvand.core.calendar import ensure_calendar
from peyvand.sales.defaults import ensure_defaults
from tests.conftest import PASSWORD

# Its loader skips tables that still have rows, so it serves to fill them again.
IRANIAN_PLACES = importlib.import_module("peyvand.customers.migrations.0002_iranian_places")

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


@pytest.fixture(autouse=True)
def _migration_data(request):
    """The live server needs a transactional database, and the flush that ends every
    transactional test empties what the data migrations loaded: the Jalali calendar, the
    sales defaults (tax rules, the «فروش» pipeline, lost reasons) and Iran's provinces and
    cities. Fill them again, whatever ran before. (``serialized_rollback`` would do it too,
    but it breaks after a plain transactional test: the flush re-creates content types
    that the serialized copy then inserts again.)"""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    ensure_calendar()
    ensure_defaults()
    IRANIAN_PLACES.load(apps, schema_editor=None)


@pytest.fixture
def new_page(browser, live_server):
    """``new_page()`` → a page in a fresh context (its own cookies: another visitor or user),
    pointed at the live server, Persian locale and Tehran time; closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url, locale="fa-IR", timezone_id="Asia/Tehran"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


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


@pytest.fixture
def shop():
    """Another site (its own origin on 127.0.0.1) whose pages carry the snippet that
    ``shop.snippet`` is set to. A real server, not a routed page: Chromium lets a page
    load the CRM's script from the loopback address only if the page is local too."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the handler's name)
            body = (
                '<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"></head>'
                f"<body><h1>فروشگاه نمونه</h1>{server.snippet}</body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.snippet = ""
    server.origin = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
