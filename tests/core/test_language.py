from django.test import Client


def test_login_page_is_persian_even_for_an_english_browser(db):
    response = Client().get("/accounts/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html


def test_language_cookie_switches_anonymous_pages(db):
    client = Client()
    client.cookies["django_language"] = "en"
    assert '<html lang="en" dir="ltr">' in client.get("/accounts/login/").content.decode()


def test_user_choice_wins(agent, web_as):
    agent.language = "en"
    agent.save()
    html = web_as(agent).get("/", headers={"Accept-Language": "fa"}).content.decode()
    assert '<html lang="en" dir="ltr">' in html


def test_api_errors_follow_accept_language(agent, api_as):
    client = api_as(agent)
    response = client.get("/api/v1/persons/999999", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.headers["Content-Language"] == "en"
