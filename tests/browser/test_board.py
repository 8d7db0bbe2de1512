"""The sales board in a real Chromium, in Persian: drag and drop, the keyboard path, losing
with a reason, and another team's deal never on the board."""

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals
from peyvand.sales.models import Deal, StageChange
from tests.sales.deal_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.browser


def _column(page, stage):
    return page.locator(f'.board-column[data-stage-id="{stage.pk}"]')


def _toman(rials: int) -> str:
    return to_persian_digits(f"{rials // 10:,}")


def _drag(page, source, target):
    """Real mouse events with intermediate steps, as SortableJS needs them."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] - 10, steps=25)
    page.mouse.up()


def test_drag_keyboard_and_lose_on_the_board(
    logged_in_page, agent, other_agent, stages, make_person, reason
):
    person = make_person(agent, first_name="مهسا", last_name="رحیمی")
    alpha = deals.create_deal(
        agent,
        {
            "title": "قرارداد آلفا",
            "amount": 100_000_000,
            "person": person.pk,
            "expected_close": "1405/02/15",
        },
    )
    beta = deals.create_deal(
        agent, {"title": "قرارداد بتا", "amount": 40_000_000, "stage": stages[1].pk}
    )
    theirs = deals.create_deal(other_agent, {"title": "معامله تیم دیگر", "amount": 1})

    page = logged_in_page(agent)
    page.goto("/sales/board/")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(_column(page, stages[0]).locator(f"#deal-{alpha.pk}")).to_contain_text("مهسا رحیمی")
    expect(_column(page, stages[0]).locator(f"#deal-{alpha.pk}")).to_contain_text("۱۴۰۵/۰۲/۱۵")
    expect(page.locator(f"#deal-{theirs.pk}")).to_have_count(0)
    expect(page.locator("#board")).not_to_contain_text("معامله تیم دیگر")
    expect(_column(page, stages[1]).locator(".column-total")).to_contain_text(_toman(40_000_000))

    # Drag «آلفا» from the first stage into the second, below «بتا».
    _drag(
        page,
        page.locator(f"#deal-{alpha.pk}-facts"),
        _column(page, stages[1]).locator(".board-cards"),
    )
    expect(_column(page, stages[1]).locator(f"#deal-{alpha.pk}")).to_be_visible()
    expect(_column(page, stages[1]).locator(".column-count")).to_have_text("۲")
    expect(_column(page, stages[1]).locator(".column-total")).to_contain_text(_toman(140_000_000))
    expect(_column(page, stages[0]).locator(".column-count")).to_have_text("۰")
    alpha.refresh_from_db()
    assert alpha.stage == stages[1] and alpha.version == 2
    assert StageChange.objects.filter(deal=alpha).last().to_stage == stages[1]
    cards = _column(page, stages[1]).locator(".deal-card")
    expect(cards.first).to_have_id(f"deal-{beta.pk}")  # dropped below «بتا»

    # The keyboard path: focus «بتا», Tab to its "move to stage" select, pick the fourth
    # stage with the arrow keys, Tab to "Move" and press Enter.
    page.locator(f"#deal-{beta.pk}").focus()
    expect(page.locator(f"#deal-{beta.pk}")).to_be_focused()
    page.keyboard.press("Tab")  # the title link
    page.keyboard.press("Tab")  # the stage select
    move = page.locator(f"#deal-{beta.pk} select[name=stage]")
    expect(move).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(move).to_have_value(str(stages[3].pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(_column(page, stages[3]).locator(f"#deal-{beta.pk}")).to_be_visible()
    expect(page.locator(f"#deal-{beta.pk}")).to_be_focused()  # the user keeps their place
    expect(_column(page, stages[3]).locator(".column-total")).to_contain_text(_toman(40_000_000))
    beta.refresh_from_db()
    assert beta.stage == stages[3]

    # Losing asks for the reason: without one it is refused with a clear message.
    card = page.locator(f"#deal-{alpha.pk}")
    card.locator("summary").click()
    card.locator(".deal-lose-submit").click()
    with override("fa"):
        needed = gettext("Choose why the deal was lost from the list.")
    expect(page.locator("#board-error")).to_contain_text(needed)
    assert Deal.objects.get(pk=alpha.pk).status == "open"
    card = page.locator(f"#deal-{alpha.pk}")
    card.locator("summary").click()
    card.locator("select[name=reason]").select_option(str(reason.pk))
    card.locator("input[name=note]").fill("قیمت رقیب کمتر بود")
    card.locator(".deal-lose-submit").click()
    expect(page.locator(f"#deal-{alpha.pk}")).to_have_count(0)
    expect(_column(page, stages[1]).locator(".column-count")).to_have_text("۰")
    alpha.refresh_from_db()
    assert (alpha.status, alpha.lost_reason, alpha.lost_note) == (
        "lost",
        reason,
        "قیمت رقیب کمتر بود",
    )


def test_a_stale_card_shows_a_message_and_the_board_reloads(logged_in_page, agent, stages):
    deal = deals.create_deal(agent, {"title": "قرارداد گاما"})
    page = logged_in_page(agent)
    page.goto("/sales/board/")
    expect(page.locator(f"#deal-{deal.pk}")).to_be_visible()
    # Someone else moves the deal after the page was opened.
    deals.move_deal(agent, deal, stages[2].pk)
    card = page.locator(f"#deal-{deal.pk}")
    card.locator("select[name=stage]").select_option(str(stages[1].pk))
    card.locator("form.deal-move button").click()
    expect(page.locator("#board-error")).to_be_visible()
    expect(_column(page, stages[2]).locator(f"#deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == stages[2]
