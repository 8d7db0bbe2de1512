"""Deals through the services: create, edit, move, close, history, filters, board, rotting."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from peyvand.activities import services as activities
from peyvand.core.errors import StaleVersionError
from peyvand.core.models import AuditEvent
from peyvand.sales import deals
from peyvand.sales.models import Deal, Pipeline, Product, StageChange

from .deal_fixtures import *  # noqa: F403 (fixtures)

XSS = "<script>alert(1)</script>"


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


def _age(deal, days):
    """Pretend the deal entered its stage and was last touched ``days`` ago."""
    past = timezone.now() - dt.timedelta(days=days)
    StageChange.objects.filter(deal=deal).update(at=past)
    Deal.all_objects.filter(pk=deal.pk).update(stage_entered_at=past, last_activity_at=past)
    deal.refresh_from_db()
    return past


# ---- create -------------------------------------------------------------------------------


def test_create_with_defaults_products_and_competitors(
    agent, pipeline, stages, product, competitor, make_person
):
    person = make_person(agent, first_name="سارا", last_name="احمدی")
    deal = deals.create_deal(
        agent,
        {
            "title": "  تمدید قرارداد  ",
            "person": person.pk,
            "expected_close": "۱۴۰۵/۰۲/۱۵",
            "source": "website",
            "products": [{"product": product.pk, "quantity": "۲٫۵"}],
            "competitors": [competitor.pk, "رقیب اول"],
        },
    )
    assert (deal.pipeline, deal.stage) == (pipeline, stages[0])
    assert (deal.owner, deal.team_id, deal.status) == (agent, agent.team_ids[0], "open")
    assert deal.title == "تمدید قرارداد"
    assert deal.expected_close == dt.date(2026, 5, 5)
    line = deal.product_lines.get()
    assert (line.quantity, line.unit_price) == (Decimal("2.5"), product.price)
    assert deal.amount == 62_500_000  # no amount typed: what the products come to
    assert list(deal.competitors.all()) == [competitor]
    change = StageChange.objects.get(deal=deal)
    assert (change.from_stage, change.to_stage, change.status, change.by) == (
        None,
        stages[0],
        "open",
        agent,
    )
    assert deal.stage_entered_at == change.at
    event = AuditEvent.objects.get(object_id=deal.pk, content_type__model="deal")
    assert event.action == "create" and event.changes["title"] == [None, "تمدید قرارداد"]
    assert "سارا احمدی" in deal.search_text


def test_amount_in_toman_from_a_form_and_explicit_prices(agent, product, stages):
    deal = deals.create_deal(
        agent,
        {
            "title": "فروش",
            "amount": "۱۲٬۵۰۰٬۰۰۰",
            "stage": str(stages[2].pk),
            "products": [{"product": product.pk, "quantity": 1, "unit_price": "۱۰۰۰"}],
        },
        unit="toman",
    )
    assert deal.amount == 125_000_000 and deal.stage == stages[2]
    assert deal.product_lines.get().unit_price == 10_000


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ب", "amount": "دوازده"}, "amount"),
        ({"title": "ب", "amount": "-5"}, "amount"),
        ({"title": "ب", "amount": 10**16}, "amount"),
        ({"title": "ب", "expected_close": "1405/13/40"}, "expected_close"),
        ({"title": "ب", "pipeline": "999999"}, "pipeline"),
        ({"title": "ب", "pipeline": "<b>"}, "pipeline"),
        ({"title": "ب", "source": "telepathy"}, "source"),
        ({"title": "ب", "products": [{"product": 999999}]}, "products.0.product"),
        ({"title": "ب", "products": "همه"}, "products"),
        ({"title": "ب", "competitors": ["ناشناس"]}, "competitors.0"),
        ({"title": "ب", "owner": 999999}, "owner"),
    ],
)
def test_bad_input_is_refused_field_by_field(agent, data, field):
    with pytest.raises(ValidationError) as exc_info:
        deals.create_deal(agent, data)
    assert field in _errors(exc_info)
    assert not Deal.all_objects.exists()


def test_stage_must_belong_to_the_pipeline_and_be_active(manager, agent, pipeline, stages):
    other = deals.create_pipeline(
        manager, {"name": "پروژه‌ها", "stages": [{"name": "شروع", "probability": 5}]}
    )
    with pytest.raises(ValidationError) as exc_info:
        deals.create_deal(agent, {"title": "الف", "pipeline": other.pk, "stage": stages[1].pk})
    assert "stage" in _errors(exc_info)
    deal = deals.create_deal(agent, {"title": "الف", "pipeline": other.pk})
    assert deal.stage == other.stages.get()
    deals.update_pipeline(manager, other, {"is_active": False})
    with pytest.raises(ValidationError) as exc_info:
        deals.create_deal(agent, {"title": "ب", "pipeline": other.pk})
    assert "pipeline" in _errors(exc_info)


def test_inactive_products_and_invisible_customers_are_refused(
    agent, other_agent, product, make_person, make_organization
):
    Product.objects.filter(pk=product.pk).update(is_active=False)
    stranger = make_person(other_agent, last_name="غریبه")
    their_org = make_organization(other_agent, name="شرکت دیگران")
    with pytest.raises(ValidationError) as exc_info:
        deals.create_deal(
            agent,
            {
                "title": "الف",
                "person": stranger.pk,
                "organization": their_org.pk,
                "products": [product.pk],
            },
        )
    errors = _errors(exc_info)
    assert errors["person"] == ["چنین شخصی وجود ندارد."]  # in the user's language
    assert "organization" in errors and "products.0.product" in errors


def test_xss_is_stored_as_text(agent):
    deal = deals.create_deal(agent, {"title": XSS})
    assert deal.title == XSS


def test_viewer_cannot_create_and_no_pipeline_is_a_clear_error(viewer, agent):
    with pytest.raises(PermissionDenied):
        deals.create_deal(viewer, {"title": "الف"})
    Pipeline.objects.update(is_active=False)
    with pytest.raises(ValidationError) as exc_info:
        deals.create_deal(agent, {"title": "الف"})
    assert "pipeline" in _errors(exc_info)


# ---- edit, move, close ---------------------------------------------------------------------


def test_update_changes_audit_and_stage_history(agent, stages, make_deal):
    deal = make_deal(agent)
    deals.update_deal(agent, deal, {"title": "عنوان تازه", "stage": stages[1].pk}, 1)
    deal.refresh_from_db()
    assert (deal.title, deal.stage, deal.version) == ("عنوان تازه", stages[1], 2)
    moved = StageChange.objects.filter(deal=deal).last()
    assert (moved.from_stage, moved.to_stage) == (stages[0], stages[1])
    event = AuditEvent.objects.filter(object_id=deal.pk, action="update").get()
    assert event.changes["stage"] == [stages[0].name, stages[1].name]
    with pytest.raises(StaleVersionError):
        deals.update_deal(agent, deal, {"title": "دیر"}, expected_version=1)


def test_move_writes_history_with_time_in_each_stage(agent, stages, make_deal):
    deal = make_deal(agent)
    entered = _age(deal, 3)
    deals.move_deal(agent, deal, stages[1].pk, expected_version=deal.version)
    deal.refresh_from_db()
    assert deal.stage == stages[1] and deal.stage_entered_at > entered
    history = deals.stage_history(deal)
    assert [e.change.to_stage for e in history] == [stages[0], stages[1]]
    assert history[0].duration.days == 3 and not history[0].ongoing
    assert history[1].ongoing and history[1].duration < dt.timedelta(minutes=1)
    totals = dict(deals.time_in_stages(history))
    assert totals[stages[0]].days == 3


def test_move_checks_version_stage_and_status(agent, manager, stages, make_deal, reason):
    deal = make_deal(agent)
    with pytest.raises(StaleVersionError):
        deals.move_deal(agent, deal, stages[1].pk, expected_version=7)
    other = deals.create_pipeline(
        manager, {"name": "دیگر", "stages": [{"name": "یک", "probability": 1}]}
    )
    with pytest.raises(ValidationError) as exc_info:
        deals.move_deal(agent, deal, other.stages.get().pk)
    assert "stage" in _errors(exc_info)
    with pytest.raises(ValidationError):
        deals.move_deal(agent, deal, "نامعتبر")
    deals.lose_deal(agent, deal, reason.pk)
    with pytest.raises(ValidationError) as exc_info:
        deals.move_deal(agent, deal, stages[1].pk)
    assert "status" in _errors(exc_info)
    assert StageChange.objects.filter(deal=deal).count() == 2  # created, lost


def test_cards_are_placed_before_or_after_a_neighbour(agent, stages, make_deal):
    first, second, third = (make_deal(agent, title=t) for t in ("یک", "دو", "سه"))

    def column():
        return list(
            Deal.objects.filter(stage=stages[0])
            .order_by("board_position", "id")
            .values_list("title", flat=True)
        )

    assert column() == ["سه", "دو", "یک"]  # new deals go on top
    deals.move_deal(agent, first, stages[0].pk, before_id=third.pk)
    assert column() == ["یک", "سه", "دو"]
    deals.move_deal(agent, first, stages[0].pk, after_id=third.pk)
    assert column() == ["سه", "یک", "دو"]
    deals.move_deal(agent, third, stages[0].pk, after_id=second.pk)
    assert column() == ["یک", "دو", "سه"]
    # A reorder inside a column is not an edit: no version, no history.
    third.refresh_from_db()
    assert third.version == 1 and StageChange.objects.filter(deal=third).count() == 1


def test_crowded_positions_are_renumbered(agent, stages, make_deal):
    made = [make_deal(agent, title=str(i)) for i in range(3)]
    Deal.objects.update(board_position=0.0)  # e.g. rows bulk-loaded without positions
    deals.move_deal(agent, made[0], stages[0].pk, before_id=made[2].pk)
    order = list(Deal.objects.order_by("board_position", "id").values_list("pk", flat=True))
    assert order == [made[1].pk, made[0].pk, made[2].pk]


def test_win_lose_reopen(agent, stages, make_deal, reason):
    deal = make_deal(agent)
    with pytest.raises(ValidationError) as exc_info:
        deals.lose_deal(agent, deal, None)
    assert "reason" in _errors(exc_info)
    reason.is_active = False
    reason.save()
    with pytest.raises(ValidationError) as exc_info:
        deals.lose_deal(agent, deal, reason.pk, "گران بود")
    assert "reason" in _errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        deals.lose_deal(agent, deal, "۹۹۹۹", "x" * 2001)
    assert {"reason", "note"} <= set(_errors(exc_info))
    reason.is_active = True
    reason.save()
    deals.lose_deal(agent, deal, str(reason.pk), "گران بود", expected_version=1)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_note) == ("lost", reason, "گران بود")
    assert deal.closed_at is not None
    with pytest.raises(ValidationError):
        deals.win_deal(agent, deal)
    deals.reopen_deal(agent, deal)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.closed_at) == ("open", None, None)
    deals.win_deal(agent, deal, deal.version)
    deal.refresh_from_db()
    assert deal.status == "won"
    statuses = list(StageChange.objects.filter(deal=deal).values_list("status", flat=True))
    assert statuses == ["open", "lost", "open", "won"]
    history = deals.stage_history(deal)
    assert history[-1].duration is None and not history[-1].ongoing


def test_trash_and_restore(agent, manager, make_user, team_a, make_deal):
    deal = make_deal(agent)
    colleague = make_user(teams=[team_a])
    with pytest.raises(PermissionDenied):
        deals.trash_deal(colleague, deal)  # agents trash only their own
    deals.trash_deal(manager, deal)
    assert not deals.visible_deals(agent).filter(pk=deal.pk).exists()
    assert deals.trashed_deals(agent).filter(pk=deal.pk).exists()
    deals.restore_deal(agent, deal)
    assert deals.visible_deals(agent).filter(pk=deal.pk).exists()
    actions = AuditEvent.objects.filter(object_id=deal.pk, content_type__model="deal")
    assert {"delete", "restore"} <= set(actions.values_list("action", flat=True))


def test_other_teams_never_see_a_deal(agent, other_agent, admin, make_deal):
    deal = make_deal(agent)
    assert not deals.visible_deals(other_agent).filter(pk=deal.pk).exists()
    with pytest.raises(Http404):
        deals.deal_detail(other_agent, deal.pk)
    assert deals.deal_detail(admin, deal.pk) == deal


# ---- activities and rotting -----------------------------------------------------------------


def test_an_activity_on_a_deal_stops_it_rotting(agent, stages, make_deal, make_person):
    person = make_person(agent)
    deal = make_deal(agent, person=person.pk)
    _age(deal, 20)  # the first stage rots after 14 days
    assert deals.is_rotting(deal)
    assert deals.filter_deals(Deal.objects.all(), {"rotting": True}).get() == deal
    call = activities.create_activity(
        agent, {"kind": "call", "subject": "تماس پیگیری", "deal": deal.pk}
    )
    assert (call.person, call.deal, call.team) == (person, deal, deal.team)
    deal.refresh_from_db()
    assert not deals.is_rotting(deal) and deal.version == 1
    assert not deals.filter_deals(Deal.objects.all(), {"rotting": True}).exists()


def test_activity_on_an_invisible_deal_is_refused(agent, other_agent, make_deal):
    deal = make_deal(other_agent)
    with pytest.raises(ValidationError) as exc_info:
        activities.create_activity(agent, {"kind": "note", "subject": "x", "deal": deal.pk})
    assert "deal" in _errors(exc_info)


# ---- lists and filters ----------------------------------------------------------------------


def test_filters_close_month_product_search_status(
    agent, stages, product, make_deal, make_person, make_organization
):
    person = make_person(agent, first_name="مریم", last_name="کاظمی")
    org = make_organization(agent, name="شرکت آریا")
    in_month = make_deal(agent, title="الف", expected_close="1405/02/31", person=person.pk)
    make_deal(agent, title="ب", expected_close="1405/03/01", organization=org.pk)
    with_product = make_deal(agent, title="ج", products=[product.pk])

    def titles(**params):
        params = deals.clean_filters(params)
        return sorted(
            deals.filter_deals(Deal.objects.all(), params).values_list("title", flat=True)
        )

    assert titles(close_year="۱۴۰۵", close_month="2") == ["الف"]
    assert titles(close_year="1405") == ["الف", "ب"]
    assert titles(product=product.pk) == ["ج"]
    assert titles(q="كاظمي") == ["الف"]  # Arabic letters find the Persian name
    assert titles(q="آريا") == ["ب"]
    assert titles(stage=stages[0].pk, status="open") == ["الف", "ب", "ج"]
    deals.win_deal(agent, with_product)
    assert titles(status="won") == ["ج"]
    assert in_month.expected_close == dt.date(2026, 5, 21)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"close_month": "2"}, "close_year"),
        ({"close_year": "1405", "close_month": "13"}, "close_month"),
        ({"close_year": "3000"}, "close_year"),
        ({"owner": "همه"}, "owner"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_bad_filters_are_named(params, field):
    with pytest.raises(ValidationError) as exc_info:
        deals.clean_filters(params)
    assert field in _errors(exc_info)


def test_deals_page_and_count(agent, other_agent, make_deal):
    for i in range(5):
        make_deal(agent, title=f"معامله {i}", amount=i * 1000)
    make_deal(other_agent, title="دیگران")
    items, cursor = deals.deals_page(agent, {"sort": "-amount"}, 3)
    assert [d.amount for d in items] == [4000, 3000, 2000] and cursor
    more, cursor = deals.deals_page(agent, {"sort": "-amount", "cursor": cursor}, 3)
    assert [d.amount for d in more] == [1000, 0] and cursor is None
    count = deals.deals_count(agent, {})
    assert (count.value, count.is_exact) == (5, True)
    with pytest.raises(ValidationError):
        deals.deals_page(agent, {"sort": "title"}, 3)


# ---- the board ----------------------------------------------------------------------------


def test_board_columns_totals_and_visibility(
    agent, other_agent, manager, pipeline, stages, product, make_deal, django_assert_max_num_queries
):
    for i in range(4):
        make_deal(agent, title=f"الف {i}", amount=1_000_000)
    make_deal(agent, title="با محصول", amount=5_000_000, stage=stages[1].pk, products=[product.pk])
    won = make_deal(agent, title="برده", amount=9)
    deals.win_deal(agent, won)
    make_deal(other_agent, title="تیم دیگر", amount=7_000_000)
    with django_assert_max_num_queries(2 + len(stages) + 2):
        board = deals.board(agent, pipeline, {}, per_column=3)
        cards = [c for column in board.columns for c in column.cards]
        [(c.person, c.organization, c.owner, c.rotting) for c in cards]
    first, second = board.columns[0], board.columns[1]
    assert [c.stage for c in board.columns] == stages
    assert (first.count, first.total, len(first.cards)) == (4, 4_000_000, 3)
    assert first.next_cursor and (second.count, second.total) == (1, 5_000_000)
    titles = {c.title for column in board.columns for c in column.cards}
    assert "تیم دیگر" not in titles and "برده" not in titles
    more, cursor = deals.board_cards(agent, pipeline, stages[0], {}, first.next_cursor)
    assert [c.title for c in more] == ["الف 0"] and cursor is None
    filtered = deals.board(agent, pipeline, {"product": str(product.pk)})
    assert [c.count for c in filtered.columns] == [0, 1, 0, 0]
    assert deals.board(manager, pipeline, {"owner": other_agent.pk}).columns[0].count == 0


# ---- settings -----------------------------------------------------------------------------


def test_pipelines_and_stages_are_managed_by_managers(manager, agent, viewer):
    with pytest.raises(PermissionDenied):
        deals.create_pipeline(agent, {"name": "الف"})
    with pytest.raises(PermissionDenied):
        deals.create_pipeline(viewer, {"name": "الف"})
    with pytest.raises(ValidationError) as exc_info:
        deals.create_pipeline(
            manager,
            {
                "name": "فروش",
                "stages": [
                    {"name": "یک", "probability": "۱۲۰"},
                    {"name": "", "probability": 5, "rotting_days": "صفر"},
                ],
            },
        )
    assert {"name", "stages.0.probability", "stages.1.name", "stages.1.rotting_days"} <= set(
        _errors(exc_info)
    )
    created = deals.create_pipeline(
        manager,
        {"name": "خدمات", "stages": [{"name": "تماس", "probability": "۱۰", "rotting_days": 5}]},
    )
    added = deals.create_stage(manager, created, {"name": "قرارداد", "probability": 80})
    first = deals.create_stage(manager, created, {"name": "ورود", "probability": 0, "position": 0})
    assert list(created.stages.order_by("position").values_list("name", flat=True)) == [
        "ورود",
        "تماس",
        "قرارداد",
    ]
    deals.move_stage(manager, added, -1)
    deals.move_stage(manager, first, -1)  # already first: stays
    assert list(created.stages.order_by("position").values_list("name", flat=True)) == [
        "ورود",
        "قرارداد",
        "تماس",
    ]
    with pytest.raises(ValidationError):
        deals.update_stage(manager, added, {"name": "تماس"})


def test_a_stage_with_deals_is_deleted_only_by_moving_them(manager, agent, stages, make_deal):
    deal = make_deal(agent, stage=stages[1].pk)
    with pytest.raises(ValidationError) as exc_info:
        deals.update_stage(manager, stages[1], {"is_active": False})
    assert "is_active" in _errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        deals.delete_stage(manager, stages[1])
    assert "move_to" in _errors(exc_info)
    assert deals.delete_stage(manager, stages[1], move_to=stages[2].pk) == 1
    deal.refresh_from_db()
    assert deal.stage == stages[2] and deal.version == 2
    assert not deals.active_stages(stages[0].pipeline).filter(pk=stages[1].pk).exists()
    assert deals.delete_stage(manager, stages[3]) == 0


def test_lost_reasons_and_competitors(manager, agent):
    with pytest.raises(PermissionDenied):
        deals.create_lost_reason(agent, {"name": "الف"})
    with pytest.raises(ValidationError) as exc_info:
        deals.create_lost_reason(manager, {"name": "قیمت بالا"})
    assert "name" in _errors(exc_info)
    reason = deals.create_lost_reason(manager, {"name": "بودجه", "position": "۷"})
    assert reason.position == 7 and reason.is_active
    deals.update_lost_reason(manager, reason, {"is_active": False})
    assert not deals.lost_reasons(active_only=True).filter(pk=reason.pk).exists()
    rival = deals.create_competitor(manager, {"name": "رقیب", "website": "rival.ir"})
    assert rival.website == "https://rival.ir"
    with pytest.raises(ValidationError) as exc_info:
        deals.update_competitor(manager, rival, {"website": "نه یک نشانی"})
    assert "website" in _errors(exc_info)
