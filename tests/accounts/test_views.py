import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from peyvand.accounts import services
from peyvand.accounts.models import ApiToken, Role, Team, User
from tests.conftest import PASSWORD

XSS = "<script>alert(1)</script>"
BIG = "x" * (10 * 1024 * 1024)


def login(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


# ---- log in, lock-out, log out -----------------------------------------------------------


def test_login_page_is_persian_and_right_to_left(db):
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in response.content.decode()


def test_login_with_right_password_goes_home_and_greets(agent):
    client = Client()
    response = login(client, agent.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    home = client.get(response["Location"])
    with translation.override("fa"):
        greeting = gettext("Welcome back, %(name)s.") % {"name": agent}
    assert greeting in home.content.decode()
    assert home.wsgi_request.user == agent


def test_login_accepts_email_in_any_case(agent):
    response = login(Client(), agent.email.upper(), PASSWORD)
    assert response.status_code == 302


def test_login_with_wrong_password_says_so_and_keeps_email(agent):
    client = Client()
    response = login(client, agent.email, "wrong-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="alert alert-danger"' in html
    assert f'value="{agent.email}"' in html
    assert not client.session.get("_auth_user_id")


@pytest.mark.parametrize("email", ["", XSS, BIG[:5000], "۰۹۱۲@example.com"])
def test_login_with_garbage_never_crashes(db, email):
    response = login(Client(), email, "whatever")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_repeated_failures_lock_the_account_even_for_the_right_password(agent):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, agent.email, "wrong-password")
    response = login(client, agent.email, PASSWORD)
    assert response.status_code == 429
    assert "alert-danger" in response.content.decode()
    assert not client.session.get("_auth_user_id")
    # Another account is not locked by someone else's failures.
    assert login(Client(), "nobody-else@example.com", "x").status_code == 200


def test_logout_is_a_post_and_ends_the_session(web_as, agent):
    client = web_as(agent)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302  # back to login


def test_pages_need_login(db):
    response = Client().get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# ---- profile, language, password ---------------------------------------------------------


def test_profile_shows_who_i_am(web_as, agent):
    html = web_as(agent).get(reverse("accounts:profile")).content.decode()
    assert agent.email in html
    assert agent.full_name in html
    assert "تیم الف" in html
    assert reverse("accounts:password_change") in html


def test_language_switch_english_and_back(web_as, agent):
    client = web_as(agent)
    url = reverse("accounts:set_language")
    response = client.post(url, {"language": "en", "next": reverse("accounts:profile")})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    html = client.get(reverse("accounts:profile")).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    agent.refresh_from_db()
    assert agent.language == "en"

    client.post(url, {"language": "fa"})
    html = client.get(reverse("accounts:profile")).content.decode()
    assert '<html lang="fa" dir="rtl">' in html


@pytest.mark.parametrize("language", ["de", "", XSS])
def test_unknown_language_changes_nothing(web_as, agent, language):
    client = web_as(agent)
    response = client.post(reverse("accounts:set_language"), {"language": language}, follow=True)
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.language == "fa"


def test_language_switch_never_redirects_off_site(web_as, agent):
    response = web_as(agent).post(
        reverse("accounts:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("accounts:profile")


def test_password_change_keeps_the_session(web_as, agent):
    client = web_as(agent)
    new = "another-Strong-passw0rd"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    agent.refresh_from_db()
    assert agent.check_password(new)


def test_password_change_with_wrong_old_password_shows_the_error(web_as, agent):
    client = web_as(agent)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password1": "x1", "new_password2": "x2"},
    )
    assert response.status_code == 200
    assert 'data-field="old_password"' in response.content.decode()
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


# ---- API tokens --------------------------------------------------------------------------


def test_token_is_shown_once_and_then_revoked(web_as, agent):
    client = web_as(agent)
    response = client.post(reverse("accounts:token_list"), {"name": "اسکریپت گزارش"})
    html = response.content.decode()
    token = ApiToken.objects.get(user=agent)
    raw = html.split('user-select-all">')[1].split("<")[0]
    assert raw.startswith(token.prefix)
    assert services.authenticate_token(raw) == agent
    api = Client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    listing = client.get(reverse("accounts:profile")).content.decode()
    assert raw not in listing  # the key is never shown again
    assert token.prefix in listing
    assert "اسکریپت گزارش" in listing

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert services.authenticate_token(raw) is None
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_cannot_revoke_someone_elses_token(web_as, agent, other_agent):
    token, raw = services.create_token(other_agent, "theirs")
    response = web_as(agent).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert services.authenticate_token(raw) == other_agent


def test_token_revoke_is_post_only(web_as, agent):
    token, _raw = services.create_token(agent)
    assert web_as(agent).get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405


def test_token_name_too_long_or_hostile(web_as, agent):
    client = web_as(agent)
    response = client.post(reverse("accounts:token_list"), {"name": BIG})
    assert response.status_code == 200
    assert 'data-field="name"' in response.content.decode()
    assert not ApiToken.objects.exists()
    client.post(reverse("accounts:token_list"), {"name": XSS})
    html = client.get(reverse("accounts:profile")).content.decode()
    assert XSS not in html
    assert "&lt;script&gt;" in html


# ---- users and teams (admins only) -------------------------------------------------------

ADMIN_PAGES = [
    ("accounts:user_list", False),
    ("accounts:user_create", False),
    ("accounts:user_edit", True),
    ("accounts:team_list", False),
    ("accounts:team_edit", True),
]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_others(web_as, make_user, team_a, role, name, needs_pk):
    user = make_user(role, [team_a])
    url = reverse(name, args=[team_a.pk if "team" in name else user.pk] if needs_pk else [])
    client = web_as(user)
    for response in (client.get(url), client.post(url, {"name": "x", "email": "a@b.cd"})):
        assert response.status_code == 403
        assert "alert-warning" in response.content.decode()
    assert Team.objects.count() == 1
    assert not User.objects.filter(email="a@b.cd").exists()


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_admin_pages_open_for_admin(web_as, admin, team_a, name, needs_pk):
    url = reverse(name, args=[team_a.pk if "team" in name else admin.pk] if needs_pk else [])
    assert web_as(admin).get(url).status_code == 200


def test_admin_creates_a_user_who_can_log_in(web_as, admin, team_a):
    response = web_as(admin).post(
        reverse("accounts:user_create"),
        {
            "email": "Sara@Example.com",
            "full_name": "سارا محمدی",
            "password": PASSWORD,
            "role": "manager",
            "teams": [team_a.pk],
            "language": "en",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="sara@example.com")
    assert (user.role, user.language, user.team_ids) == ("manager", "en", [team_a.pk])
    assert login(Client(), "sara@example.com", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": BIG}, "email"),
        ({"email": "TAKEN"}, "email"),
        ({"password": "123"}, "password"),
        ({"role": "emperor"}, "role"),
        ({"full_name": BIG}, "full_name"),
    ],
)
def test_user_create_with_bad_input_shows_the_field_error(web_as, admin, agent, data, field):
    before = User.objects.count()
    form = {"email": "new@example.com", "full_name": "", "password": PASSWORD, "role": "agent"}
    form.update(language="fa", **data)
    if form["email"] == "TAKEN":
        form["email"] = agent.email.upper()
    response = web_as(admin).post(reverse("accounts:user_create"), form)
    assert response.status_code == 200
    assert f'data-field="{field}"' in response.content.decode()
    assert User.objects.count() == before


def test_user_edit_changes_role_teams_and_active(web_as, admin, agent, team_b):
    response = web_as(admin).post(
        reverse("accounts:user_edit", args=[agent.pk]),
        {"full_name": "نام تازه", "role": "viewer", "teams": [team_b.pk], "language": "fa"},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.full_name, agent.role, agent.is_active) == ("نام تازه", "viewer", False)
    assert list(agent.teams.all()) == [team_b]


def test_admin_cannot_demote_themself(web_as, admin):
    response = web_as(admin).post(
        reverse("accounts:user_edit", args=[admin.pk]),
        {"full_name": "x", "role": "agent", "is_active": "on", "language": "fa"},
    )
    assert response.status_code == 200
    assert 'data-field="role"' in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_admin


def test_user_list_escapes_names(web_as, admin, make_user):
    user = make_user(Role.AGENT)
    user.full_name = XSS
    user.save()
    html = web_as(admin).get(reverse("accounts:user_list")).content.decode()
    assert XSS not in html
    assert "&lt;script&gt;" in html


def test_user_edit_of_unknown_user_is_404(web_as, admin):
    assert web_as(admin).get(reverse("accounts:user_edit", args=[999999])).status_code == 404


def test_team_create_rename_and_members(web_as, admin, agent, team_a):
    client = web_as(admin)
    response = client.post(reverse("accounts:team_list"), {"name": "  تیم فروش  "})
    assert response.status_code == 302
    team = Team.objects.get(name="تیم فروش")
    client.post(reverse("accounts:team_edit", args=[team.pk]), {"name": "تیم فروش شرق"})
    team.refresh_from_db()
    assert team.name == "تیم فروش شرق"
    page = client.get(reverse("accounts:team_edit", args=[team_a.pk])).content.decode()
    assert agent.full_name in page
    assert agent.full_name in client.get(reverse("accounts:team_list")).content.decode()


@pytest.mark.parametrize("name", ["", "   ", BIG, "تیم الف"])
def test_team_create_with_bad_name_shows_the_error(web_as, admin, team_a, name):
    response = web_as(admin).post(reverse("accounts:team_list"), {"name": name})
    assert response.status_code == 200
    assert 'data-field="name"' in response.content.decode()
    assert Team.objects.count() == 1


def test_team_rename_to_a_taken_name_is_refused(web_as, admin, team_a, team_b):
    response = web_as(admin).post(
        reverse("accounts:team_edit", args=[team_b.pk]), {"name": "تیم الف"}
    )
    assert 'data-field="name"' in response.content.decode()
    team_b.refresh_from_db()
    assert team_b.name == "تیم ب"


def test_team_name_is_rendered_escaped(web_as, admin):
    client = web_as(admin)
    client.post(reverse("accounts:team_list"), {"name": XSS})
    html = client.get(reverse("accounts:team_list")).content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
