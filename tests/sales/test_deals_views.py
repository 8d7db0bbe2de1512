"""Deal pages without a browser: board, list, forms, the deal's page and the settings."""

import pytest
from django.urls import reverse

from peyvand.activities.models import Activity
from peyvand.sales import deals
from peyvand.sales.models import Cadence, Competitor, Deal, LostReason, StageChange

from .deal_fixtures import *  # noqa: F403 (fixtures)

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_board_shows_columns_totals_and_only_visible_open_deals(
    web_as, agent, other_agent, pipeline, stages, make_deal, make_person
):
    person = make_person(agent, first_name="نرگس", last_name="صدری")
    make_deal(agent, title=XSS, amount=12_500_000, person=person.pk, expected_close="1405/02/15")
    make_deal(agent, title="دوم", amount=2_500_000, stage=stages[1].pk)
    make_deal(other_agent, title="تیم دیگر")
    page = web_as(agent).get(reverse("sales:board"))
    html = page.content.decode()
    assert page.status_code == 200
    assert ESCAPED in html and XSS not in html
    assert "تیم دیگر" not in html
    assert "نرگس صدری" in html
    assert "۱,۲۵۰,۰۰۰" in html  # Toman, Persian digits
    assert "۱۴۰۵/۰۲/۱۵" in html
    for stage in stages:
        assert stage.name in html
    assert html.count('class="card deal-card') == 2
    assert html.count('name="stage" aria-label=') == 2  # each card's keyboard "move" control


def test_moving_a_card_returns_the_board_with_new_totals(web_as, agent, stages, make_deal):
    deal = make_deal(agent, amount=10_000_000)
    client = web_as(agent)
    url = reverse("sales:deal_move", args=[deal.pk]) + f"?pipeline={deal.pipeline_id}"
    answer = client.post(url, {"from": "board", "stage": stages[1].pk, "version": 1}, **HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="board"' in html and f'data-focus="{deal.pk}"' in html
    deal.refresh_from_db()
    assert deal.stage == stages[1] and deal.version == 2
    # A stale card: a clear message, the deal stays, the board is the stored one.
    stale = client.post(url, {"from": "board", "stage": stages[2].pk, "version": 1}, **HTMX)
    assert 'id="board-error"' in stale.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    # Without HTMX (no JavaScript): back to the board with a message.
    plain = client.post(url, {"from": "board", "stage": stages[2].pk, "version": 2})
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("sales:board"))


def test_losing_from_the_board_needs_a_reason(web_as, agent, make_deal, reason):
    deal = make_deal(agent)
    client = web_as(agent)
    url = reverse("sales:deal_lose", args=[deal.pk])
    refused = client.post(url, {"from": "board", "reason": "", "version": 1}, **HTMX)
    assert 'id="board-error"' in refused.content.decode()
    deal.refresh_from_db()
    assert deal.status == "open"
    client.post(url, {"from": "board", "reason": reason.pk, "version": 1}, **HTMX)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", reason)


def test_show_more_and_bad_filters(web_as, agent, pipeline, stages, make_deal):
    for i in range(3):
        make_deal(agent, title=f"معامله {i}")
    client = web_as(agent)
    board = deals.board(agent, pipeline, {}, per_column=2)
    more = client.get(
        reverse("sales:board_more"),
        {"pipeline": pipeline.pk, "stage": stages[0].pk, "cursor": board.columns[0].next_cursor},
    )
    assert more.status_code == 200 and "deal-card" in more.content.decode()
    bad = client.get(reverse("sales:board"), {"close_month": "13", "owner": "x"})
    assert bad.status_code == 200 and 'id="filter-errors"' in bad.content.decode()
    assert client.get(reverse("sales:board"), {"pipeline": "999999"}).status_code == 404


def test_deal_list_filters_and_visibility(web_as, agent, other_agent, product, make_deal):
    make_deal(agent, title="با محصول", products=[product.pk])
    make_deal(agent, title="بی محصول")
    make_deal(other_agent, title="تیم دیگر")
    client = web_as(agent)
    html = client.get(reverse("sales:deal_list")).content.decode()
    assert "با محصول" in html and "بی محصول" in html and "تیم دیگر" not in html
    html = client.get(reverse("sales:deal_list"), {"product": product.pk}).content.decode()
    assert "با محصول" in html and "بی محصول" not in html
    html = client.get(reverse("sales:deal_list"), {"q": "بي محصول"}).content.decode()
    assert "بی محصول" in html and ">با محصول<" not in html
    bad = client.get(reverse("sales:deal_list"), {"sort": "x"})
    assert 'id="filter-errors"' in bad.content.decode()


def test_create_and_edit_through_the_form(web_as, agent, stages, product, competitor, make_person):
    person = make_person(agent)
    client = web_as(agent)
    assert client.get(reverse("sales:deal_create"), {"person": person.pk}).status_code == 200
    bad = client.post(
        reverse("sales:deal_create"),
        {"title": "", "amount": "ده", "expected_close": "۱۴۰۵/۱۳/۰۱", "product_product": ["99999"]},
    )
    assert bad.status_code == 422
    assert not Deal.objects.exists()
    created = client.post(
        reverse("sales:deal_create"),
        {
            "title": "قرارداد",
            "amount": "۱٬۲۰۰٬۰۰۰",
            "expected_close": "۱۴۰۵/۰۲/۱۵",
            "person": person.pk,
            "stage": stages[1].pk,
            "product_product": [product.pk, ""],
            "product_quantity": ["۲", ""],
            "product_unit_price": ["", ""],
            "competitors": [competitor.pk],
        },
    )
    deal = Deal.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse(
        "sales:deal_detail", args=[deal.pk]
    )
    assert deal.amount == 12_000_000  # typed in Toman
    assert deal.stage == stages[1] and deal.product_lines.get().quantity == 2
    form = client.get(reverse("sales:deal_edit", args=[deal.pk])).content.decode()
    assert 'value="1200000"' in form and 'value="1405/02/15"' in form
    stale = client.post(
        reverse("sales:deal_edit", args=[deal.pk]),
        {"title": "دیر", "version": "0", "pipeline": deal.pipeline_id},
    )
    assert stale.status_code == 409 and 'id="stale-version"' in stale.content.decode()
    saved = client.post(
        reverse("sales:deal_edit", args=[deal.pk]),
        {
            "title": "قرارداد تازه",
            "version": "1",
            "pipeline": deal.pipeline_id,
            "stage": stages[1].pk,
        },
    )
    assert saved.status_code == 302
    deal.refresh_from_db()
    assert deal.title == "قرارداد تازه" and deal.amount == 0 and not deal.product_lines.exists()


def test_deal_page_history_activities_and_actions(web_as, agent, stages, make_deal, reason):
    deal = make_deal(agent, title=XSS)
    client = web_as(agent)
    client.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": stages[1].pk})
    logged = client.post(
        reverse("sales:deal_activity", args=[deal.pk]),
        {"kind": "call", "subject": "تماس اول", "duration": "۵", "duration_unit": "minutes"},
    )
    assert logged.status_code == 302
    missing = client.post(reverse("sales:deal_activity", args=[deal.pk]), {"kind": "task"})
    assert missing.status_code == 422
    page = client.get(reverse("sales:deal_detail", args=[deal.pk]))
    html = page.content.decode()
    assert ESCAPED in html and XSS not in html
    assert "تماس اول" in html and 'id="stage-history"' in html
    assert stages[0].name in html and stages[1].name in html
    assert Activity.objects.get(subject="تماس اول").deal == deal
    lost = client.post(reverse("sales:deal_lose", args=[deal.pk]), {"reason": ""})
    assert lost.status_code == 302
    deal.refresh_from_db()
    assert deal.status == "open"
    client.post(reverse("sales:deal_lose", args=[deal.pk]), {"reason": reason.pk, "note": "گران"})
    deal.refresh_from_db()
    assert deal.status == "lost"
    html = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert reason.name in html and 'id="reopen-button"' in html
    client.post(reverse("sales:deal_reopen", args=[deal.pk]))
    client.post(reverse("sales:deal_win", args=[deal.pk]))
    deal.refresh_from_db()
    assert deal.status == "won"
    assert StageChange.objects.filter(deal=deal).count() == 5


def test_other_teams_deal_pages_are_404_and_viewers_only_read(
    web_as, agent, other_agent, viewer, make_deal, stages
):
    deal = make_deal(agent)
    stranger = web_as(other_agent)
    for name in ("sales:deal_detail", "sales:deal_edit"):
        assert stranger.get(reverse(name, args=[deal.pk])).status_code == 404
    for name in ("sales:deal_move", "sales:deal_win", "sales:deal_delete", "sales:deal_activity"):
        assert (
            stranger.post(reverse(name, args=[deal.pk]), {"stage": stages[1].pk}).status_code == 404
        )
    reader = web_as(viewer)
    assert reader.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 200
    assert "deal-move" not in reader.get(reverse("sales:board")).content.decode()
    reader.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": stages[1].pk})
    reader.post(reverse("sales:deal_create"), {"title": "x"})
    deal.refresh_from_db()
    assert deal.stage == stages[0] and Deal.objects.count() == 1


def test_trash_and_restore_pages(web_as, agent, make_deal):
    deal = make_deal(agent)
    client = web_as(agent)
    assert client.post(reverse("sales:deal_delete", args=[deal.pk])).status_code == 302
    assert deal.title in client.get(reverse("core:trash")).content.decode()
    client.post(reverse("core:trash_restore", args=["deal", deal.pk]))
    assert Deal.objects.filter(pk=deal.pk).exists()


# ---- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sales:pipeline_list",
        "sales:lost_reason_list",
        "sales:competitor_list",
        "sales:cadence_list",
        "sales:cadence_create",
    ],
)
def test_settings_are_for_managers(web_as, agent, manager, name):
    assert web_as(agent).get(reverse(name)).status_code == 403
    assert web_as(manager).get(reverse(name)).status_code == 200


def test_pipeline_and_stage_settings(web_as, manager, agent, stages, make_deal):
    client = web_as(manager)
    made = client.post(reverse("sales:pipeline_list"), {"name": "خدمات", "is_active": "1"})
    assert made.status_code == 302
    pipeline = deals.pipelines().get(name="خدمات")
    edit = reverse("sales:pipeline_edit", args=[pipeline.pk])
    bad = client.post(edit, {"action": "add_stage", "name": "", "probability": "۱۵۰"})
    assert bad.status_code == 422
    client.post(
        edit, {"action": "add_stage", "name": "تماس", "probability": "۱۰", "is_active": "1"}
    )
    client.post(
        edit,
        {
            "action": "add_stage",
            "name": "قرارداد",
            "probability": "۸۰",
            "rotting_days": "۷",
            "is_active": "1",
        },
    )
    second = pipeline.stages.get(name="قرارداد")
    assert second.rotting_days == 7 and second.is_active
    client.post(edit, {"action": "up", "stage": second.pk})
    assert list(pipeline.stages.order_by("position").values_list("name", flat=True)) == [
        "قرارداد",
        "تماس",
    ]
    client.post(
        reverse("sales:stage_edit", args=[second.pk]), {"name": "امضا", "probability": "90"}
    )
    second.refresh_from_db()
    assert (second.name, second.probability, second.is_active) == ("امضا", 90, False)
    deal = make_deal(agent, stage=stages[1].pk)
    delete = reverse("sales:stage_delete", args=[stages[1].pk])
    assert "move_to" in client.get(delete).content.decode()
    assert client.post(delete, {}).status_code == 422
    assert client.post(delete, {"move_to": stages[2].pk}).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages[2]


def test_lost_reasons_and_competitors_pages(web_as, manager):
    client = web_as(manager)
    client.post(reverse("sales:lost_reason_list"), {"name": "بودجه", "is_active": "1"})
    reason = LostReason.objects.get(name="بودجه")
    client.post(
        reverse("sales:lost_reason_list"), {"id": reason.pk, "name": "بودجه کم", "position": "3"}
    )
    reason.refresh_from_db()
    assert (reason.name, reason.position, reason.is_active) == ("بودجه کم", 3, False)
    dup = client.post(reverse("sales:lost_reason_list"), {"name": "قیمت بالا"})
    assert dup.status_code == 422
    client.post(reverse("sales:competitor_list"), {"name": XSS, "website": "x.ir"})
    html = client.get(reverse("sales:competitor_list")).content.decode()
    assert ESCAPED in html and Competitor.objects.get().website == "https://x.ir"


def test_cadence_form(web_as, manager, stages):
    client = web_as(manager)
    bad = client.post(
        reverse("sales:cadence_create"),
        {
            "name": "",
            "trigger": "stage_entered",
            "step_after_days": ["x"],
            "step_subject": ["تماس"],
        },
    )
    assert bad.status_code == 422 and not Cadence.objects.exists()
    client.post(
        reverse("sales:cadence_create"),
        {
            "name": "پیگیری پیشنهاد",
            "trigger": "stage_entered",
            "stage": stages[2].pk,
            "is_active": "1",
            "step_after_days": ["۳", "7", ""],
            "step_subject": ["تماس تلفنی", "ارسال پیش‌فاکتور", ""],
            "step_priority": ["high", "normal", "normal"],
        },
    )
    cadence = Cadence.objects.get()
    assert cadence.stage == stages[2]
    assert [(s.after_days, s.subject) for s in cadence.steps.all()] == [
        (3, "تماس تلفنی"),
        (7, "ارسال پیش‌فاکتور"),
    ]
    page = client.get(reverse("sales:cadence_edit", args=[cadence.pk])).content.decode()
    assert "تماس تلفنی" in page
    client.post(reverse("sales:cadence_delete", args=[cadence.pk]))
    assert not Cadence.objects.exists()


def test_activities_of_a_deal_are_edited_and_done_back_on_the_deal(web_as, agent, make_deal):
    deal = make_deal(agent, title="بدون مشتری")
    client = web_as(agent)
    client.post(
        reverse("sales:deal_activity", args=[deal.pk]),
        {"kind": "task", "subject": "پیگیری", "due_at": "۱۴۱۰/۰۱/۰۱ ۱۰:۰۰"},
    )
    task = Activity.objects.get(subject="پیگیری")
    assert (task.deal, task.person, task.team) == (deal, None, deal.team)
    deal_url = reverse("sales:deal_detail", args=[deal.pk])
    edit = reverse("activities:activity_edit", args=[task.pk]) + f"?next={deal_url}"
    page = client.get(edit)
    assert page.status_code == 200 and deal.title in page.content.decode()
    saved = client.post(
        edit, {"subject": "پیگیری دوباره", "due_at": "۱۴۱۰/۰۱/۰۲ ۱۰:۰۰", "version": 1}
    )
    assert saved.status_code == 302 and saved["Location"] == deal_url
    done = client.post(
        reverse("activities:activity_done", args=[task.pk]), {"version": 2, "next": deal_url}
    )
    assert done["Location"] == deal_url
    task.refresh_from_db()
    assert task.subject == "پیگیری دوباره" and task.done_at is not None
    other_site = client.post(
        edit.replace(deal_url, "https://evil.example/"), {"subject": "x", "version": 3}
    )
    assert other_site["Location"] == deal_url  # only our own pages are followed
