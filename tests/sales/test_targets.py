"""Monthly sales targets: managers set them for their teams and members, everyone reads their
own and their team's; through the service, the API and the grid page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from peyvand.accounts.models import Role
from peyvand.core.persian import to_persian_digits
from peyvand.sales import targets
from peyvand.sales.models import SalesTarget

XSS = "<script>alert(1)</script>"


def target(actor, **data):
    data = {"year": 1405, "month": 3, "amount": 50_000_000, **data}
    return targets.set_target(actor, data)


# ---- the service -------------------------------------------------------------------------------


def test_manager_sets_and_replaces_a_target(manager, agent, team_a):
    created, is_new = target(manager, user=agent.pk)
    assert is_new and (created.user, created.team, created.amount) == (agent, None, 50_000_000)
    assert created.set_by == manager

    replaced, is_new = target(manager, user=str(agent.pk), amount="۶۰٬۰۰۰٬۰۰۰")
    assert not is_new and replaced.pk == created.pk and replaced.amount == 60_000_000
    team_target, _ = target(manager, team=team_a.pk, month="۳", year="۱۴۰۵")
    assert (team_target.team, team_target.month, team_target.year) == (team_a, 3, 1405)
    assert SalesTarget.objects.count() == 2


def test_amounts_in_toman(manager, agent):
    saved, _ = targets.set_target(
        manager, {"year": 1405, "month": 1, "user": agent.pk, "amount": "5,000"}, unit="toman"
    )
    assert saved.amount == 50_000


def test_only_managers_and_admins_set_targets(agent, viewer, admin, other_agent):
    for user in (agent, viewer):
        with pytest.raises(PermissionDenied):
            target(user, user=user.pk)
    saved, _ = target(admin, user=other_agent.pk)  # an admin sets anyone's
    assert saved.user == other_agent


def test_managers_set_targets_only_inside_their_teams(manager, other_agent, team_b):
    with pytest.raises(ValidationError) as caught:
        target(manager, user=other_agent.pk)
    assert "user" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        target(manager, team=team_b.pk)
    assert "team" in caught.value.message_dict
    assert not SalesTarget.objects.exists()


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"year": 1200}, {"year"}),
        ({"year": XSS}, {"year"}),
        ({"month": 13}, {"month"}),
        ({"month": "0"}, {"month"}),
        ({"amount": "-5"}, {"amount"}),
        ({"amount": "0"}, {"amount"}),
        ({"amount": "12.5"}, {"amount"}),
        ({"amount": XSS}, {"amount"}),
        ({"amount": "9" * 30}, {"amount"}),
        ({"amount": None}, {"amount"}),
        ({"user": None}, {"user"}),
        ({"team": "x"}, {"team", "user"}),
    ],
)
def test_bad_input_is_refused_field_by_field(manager, agent, team_a, data, fields):
    base = {"user": agent.pk, **data}
    if "team" in data:
        base["user"] = None
    with pytest.raises(ValidationError) as caught:
        target(manager, **base)
    assert fields <= set(caught.value.message_dict)
    assert not SalesTarget.objects.exists()


def test_both_an_owner_and_a_team_is_refused(manager, agent, team_a):
    with pytest.raises(ValidationError) as caught:
        target(manager, user=agent.pk, team=team_a.pk)
    assert "user" in caught.value.message_dict


def test_who_reads_which_targets(
    manager, agent, viewer, other_agent, admin, team_a, team_b, make_user
):
    mine, _ = target(manager, user=agent.pk)
    team, _ = target(manager, team=team_a.pk)
    mate, _ = target(manager, user=manager.pk)
    other_manager = make_user(Role.MANAGER, [team_b])
    theirs, _ = target(other_manager, user=other_agent.pk)

    assert set(targets.visible_targets(agent)) == {mine, team, mate}
    assert set(targets.visible_targets(viewer)) == {mine, team, mate}
    assert set(targets.visible_targets(other_agent)) == {theirs}
    assert set(targets.visible_targets(admin)) == {mine, team, mate, theirs}


def test_saving_a_year_grid(manager, agent, team_a):
    target(manager, user=agent.pk, month=2)
    cells = [
        {"key": f"u{agent.pk}_1", "user": agent.pk, "month": 1, "amount": "۱۰۰"},
        {"key": f"u{agent.pk}_2", "user": agent.pk, "month": 2, "amount": ""},
        {"key": f"t{team_a.pk}_1", "team": team_a.pk, "month": 1, "amount": "300"},
    ]
    assert targets.save_year(manager, "۱۴۰۵", cells, unit="toman") == 3
    saved = {(t.user_id, t.team_id, t.month): t.amount for t in SalesTarget.objects.all()}
    assert saved == {(agent.pk, None, 1): 1_000, (None, team_a.pk, 1): 3_000}
    assert targets.save_year(manager, 1405, cells, unit="toman") == 0  # nothing changed


def test_one_bad_cell_saves_nothing(manager, agent, other_agent):
    cells = [
        {"key": "good", "user": agent.pk, "month": 1, "amount": "100"},
        {"key": "bad", "user": agent.pk, "month": 2, "amount": "abc"},
        {"key": "foreign", "user": other_agent.pk, "month": 3, "amount": "100"},
    ]
    with pytest.raises(ValidationError) as caught:
        targets.save_year(manager, 1405, cells)
    assert set(caught.value.message_dict) == {"bad", "foreign"}
    assert not SalesTarget.objects.exists()


# ---- API ---------------------------------------------------------------------------------------


def test_api_put_creates_then_replaces(api_as, manager, agent):
    api = api_as(manager)
    body = {"year": "۱۴۰۵", "month": 4, "user": agent.pk, "amount": "70000000"}
    created = api.put("/api/v1/targets", body)
    assert created.status_code == 201, created.content
    assert created.json() | {"id": 0, "updated_at": ""} == {
        "id": 0,
        "year": 1405,
        "month": 4,
        "user": agent.pk,
        "team": None,
        "holder": str(agent),
        "amount": 70_000_000,
        "set_by": manager.pk,
        "updated_at": "",
    }
    replaced = api.put("/api/v1/targets", {**body, "amount": 80_000_000})
    assert replaced.status_code == 200 and replaced.json()["amount"] == 80_000_000
    assert replaced.json()["id"] == created.json()["id"]


def test_api_list_shows_only_readable_targets(api_as, manager, agent, other_agent, admin, team_a):
    mine, _ = target(manager, user=agent.pk)
    other_year, _ = target(manager, team=team_a.pk, year=1404)
    target(admin, user=other_agent.pk)

    listed = api_as(agent).get("/api/v1/targets").json()
    assert {row["id"] for row in listed} == {mine.pk, other_year.pk}
    by_year = api_as(agent).get("/api/v1/targets?year=۱۴۰۴").json()
    assert [row["id"] for row in by_year] == [other_year.pk]
    assert api_as(other_agent).get(f"/api/v1/targets?user={agent.pk}").json() == []
    bad = api_as(agent).get("/api/v1/targets?year=abc")
    assert bad.status_code == 422 and "year" in bad.json()["error"]["fields"]


def test_api_writes_are_for_managers(api_as, agent, viewer, manager, other_agent):
    body = {"year": 1405, "month": 4, "user": agent.pk, "amount": 1000}
    for user in (agent, viewer):
        refused = api_as(user).put("/api/v1/targets", body)
        assert refused.status_code == 403
    foreign = api_as(manager).put("/api/v1/targets", {**body, "user": other_agent.pk})
    assert foreign.status_code == 422 and "user" in foreign.json()["error"]["fields"]
    bad = api_as(manager).put("/api/v1/targets", {**body, "month": 13, "amount": "-1"})
    assert bad.status_code == 422
    assert {"month", "amount"} <= set(bad.json()["error"]["fields"])
    assert not SalesTarget.objects.exists()


def test_api_delete(api_as, manager, agent, admin, other_agent):
    mine, _ = target(manager, user=agent.pk)
    theirs, _ = target(admin, user=other_agent.pk)
    assert api_as(agent).delete(f"/api/v1/targets/{mine.pk}").status_code == 403
    assert api_as(manager).delete(f"/api/v1/targets/{theirs.pk}").status_code == 404
    assert (
        api_as(manager).delete(f"/api/v1/targets/{to_persian_digits(str(mine.pk))}").status_code
        == 204
    )
    assert list(SalesTarget.objects.all()) == [theirs]


# ---- the grid page -----------------------------------------------------------------------------


def test_grid_page_for_a_manager(web_as, manager, agent, team_a, other_agent):
    target(manager, user=agent.pk, month=3, amount=50_000_000)
    response = web_as(manager).get(reverse("sales:targets"), {"year": "1405"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="u{agent.pk}_3"' in page and f'name="t{team_a.pk}_1"' in page
    assert "۵,۰۰۰,۰۰۰" in page  # 50,000,000 Rials shown as 5,000,000 Toman
    assert f'name="u{other_agent.pk}_1"' not in page


def test_grid_page_saves_in_toman(web_as, manager, agent, team_a):
    client = web_as(manager)
    response = client.post(
        reverse("sales:targets"),
        {"year": "1405", f"u{agent.pk}_1": "۱۲٬۰۰۰٬۰۰۰", f"t{team_a.pk}_12": "40,000,000"},
    )
    assert response.status_code == 302
    saved = {(t.user_id, t.team_id, t.month): t.amount for t in SalesTarget.objects.all()}
    assert saved == {(agent.pk, None, 1): 120_000_000, (None, team_a.pk, 12): 400_000_000}


def test_grid_page_shows_errors_and_keeps_what_was_typed(web_as, manager, agent):
    response = web_as(manager).post(
        reverse("sales:targets"),
        {"year": "1405", f"u{agent.pk}_1": "100", f"u{agent.pk}_2": XSS},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "is-invalid" in page and f'id="u{agent.pk}_2-error"' in page
    assert "&lt;script&gt;" in page and XSS not in page
    assert not SalesTarget.objects.exists()


def test_grid_page_is_read_only_for_agents(web_as, manager, agent, viewer):
    target(manager, user=agent.pk, month=3, amount=50_000_000)
    for user in (agent, viewer):
        client = web_as(user)
        page = client.get(reverse("sales:targets"), {"year": "1405"}).content.decode()
        assert f'id="u{agent.pk}_3">۵,۰۰۰,۰۰۰<' in page and "form-control-sm" not in page
        refused = client.post(reverse("sales:targets"), {"year": "1405", f"u{agent.pk}_1": "1"})
        assert refused.status_code == 403
    assert SalesTarget.objects.count() == 1
