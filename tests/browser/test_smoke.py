"""The first minute of a new user: a Persian login page, logging in, a wrong password."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_login_page_is_persian_and_right_to_left(page):
    page.goto("/accounts/login/")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fa")
    expect(html).to_have_attribute("dir", "rtl")
    # The right-to-left Bootstrap build is what lays the page out.
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"


def test_logging_in_reaches_the_home_page(logged_in_page, agent):
    page = logged_in_page(agent)

    assert re.fullmatch(r"https?://[^/]+/", page.url)
    expect(page.locator("h1")).to_contain_text(agent.full_name)
    expect(page.locator("#global-search")).to_be_visible()


def test_a_wrong_password_shows_an_error_and_stays_on_the_login_page(page, agent):
    log_in(page, agent.email, "not-the-password")

    assert "/accounts/login/" in page.url
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page.locator("#global-search")).to_have_count(0)


def test_a_page_that_needs_login_sends_a_visitor_to_the_login_form(page):
    page.goto("/")

    assert "/accounts/login/" in page.url
