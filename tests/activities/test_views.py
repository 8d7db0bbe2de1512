import re
from datetime import timedelta

import jdatetime
import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from peyvand.activities import services
from peyvand.activities.models import Activity, Notification
from peyvand.core.persian import to_persian_digits

XSS = "<script>alert(1)</script>"
BIG = "x" * (10 * 1024 * 1024)
HTMX = {"HX-Request": "true"}
CREATE = reverse("activities:activity_create")


def jalali_in(days: int, time: str = "14:30", persian_digits: bool = True) -> str:
    """A Jalali date-time ``days`` from now as a user types it, e.g. ``۱۴۰۵/۰۹/۱۲ ۱۴:۳۰``."""
    day = jdatetime.date.fromgregorian(date=timezone.localdate() + timedelta(days=days))
    text = f"{day:%Y/%m/%d} {time}"
    return to_persian_digits(text) if persian_digits else text


@pytest.fixture
def person(agent, make_person):
    return make_person(agent, first_name="مریم", last_name="کاظمی")


@pytest.fixture
def client(web_as, agent):
    return web_as(agent)


def only_activity():
    return Activity.objects.get()


def test_note_with_persian_text(client, person):
    response = client.post(
        CREATE,
        {"person": person.pk, "kind": "note", "subject": "یادداشت اول", "body": "خط یک\nخط دو"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:person_detail", args=[person.pk])
    note = only_activity()
    assert (note.kind, note.subject, note.person, note.team) == (
        "note",
        "یادداشت اول",
        person,
        person.team,
    )


def test_call_duration_in_persian_minutes(client, person):
    client.post(
        CREATE,
        {
            "person": person.pk,
            "kind": "call",
            "subject": "تماس پیگیری",
            "direction": "outbound",
            "duration": "۱۲",
            "duration_unit": "minutes",
            "outcome": "answered",
            "location": "should be ignored for a call",
        },
    )
    call = only_activity()
    assert (call.direction, call.duration_seconds, call.outcome) == ("outbound", 720, "answered")
    assert call.location == ""


def test_call_duration_in_seconds(client, person):
    client.post(
        CREATE,
        {
            "person": person.pk,
            "kind": "call",
            "subject": "تماس",
            "duration": "95",
            "duration_unit": "seconds",
        },
    )
    assert only_activity().duration_seconds == 95


def test_meeting_on_an_organization(client, agent, make_organization):
    org = make_organization(agent, name="شرکت پارس")
    client.post(
        CREATE,
        {
            "organization": org.pk,
            "kind": "meeting",
            "subject": "جلسه معرفی",
            "occurred_at": jalali_in(2, "10:00"),
            "ends_at": jalali_in(2, "11:30"),
            "location": "دفتر تهران",
        },
    )
    meeting = only_activity()
    assert meeting.organization == org
    assert meeting.ends_at - meeting.occurred_at == timedelta(minutes=90)
    assert timezone.localtime(meeting.occurred_at).hour == 10
    assert meeting.location == "دفتر تهران"


def test_followup_with_persian_digits_shows_on_timeline_and_open_followups(
    client, agent, manager, person
):
    response = client.post(
        CREATE,
        {
            "person": person.pk,
            "kind": "task",
            "subject": "تماس دوباره",
            "due_at": jalali_in(3),
            "assignee": str(manager.pk),
            "priority": "high",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<ul class="timeline" id="timeline">')
    assert "تماس دوباره" in html
    assert 'id="new-activity"' in html and 'hx-swap-oob="true"' in html  # a fresh form
    task = only_activity()
    local_due = timezone.localtime(task.due_at)
    assert (local_due.hour, local_due.minute) == (14, 30)
    assert (task.assignee, task.priority) == (manager, "high")
    assert to_persian_digits(jalali_in(3, persian_digits=False)) in html

    followups = client.get(reverse("activities:followups")).content.decode()
    assert "تماس دوباره" not in followups.split('id="team-followups"')[0]  # assigned to manager
    manager_page = client.__class__()
    manager_page.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    assert "تماس دوباره" in manager_page.get(reverse("activities:followups")).content.decode()


def test_followup_defaults_to_me(client, agent, person):
    client.post(
        CREATE, {"person": person.pk, "kind": "task", "subject": "پیگیری", "due_at": jalali_in(1)}
    )
    assert only_activity().assignee == agent
    page = client.get(reverse("activities:followups")).content.decode()
    assert "پیگیری" in page.split('id="my-followups"')[1]


def test_manager_sees_team_followups(web_as, agent, manager, person):
    services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "کار عامل", "due_at": jalali_in(1)}
    )
    page = web_as(manager).get(reverse("activities:followups")).content.decode()
    assert "کار عامل" in page.split('id="team-followups"')[1]
    agent_page = web_as(agent).get(reverse("activities:followups")).content.decode()
    assert 'id="team-followups"' not in agent_page


def test_overdue_followup_is_highlighted(client, agent, person):
    services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "دیر شده", "due_at": jalali_in(-2)}
    )
    page = client.get(reverse("activities:followups")).content.decode()
    assert re.search(r'class="[^"]*overdue[^"]*">\s*<span>دیر شده', page)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "task", "subject": "x", "due_at": ""}, "due_at"),
        ({"kind": "task", "subject": "x", "due_at": "فردا"}, "due_at"),
        ({"kind": "task", "subject": "x", "due_at": "1403/13/40 10:00"}, "due_at"),
        ({"kind": "task", "subject": "x", "due_at": "1403/05/12 25:00"}, "due_at"),
        ({"kind": "task", "subject": "x", "due_at": "1403/05/12", "assignee": "99999"}, "assignee"),
        ({"kind": "note", "subject": ""}, "subject"),
        ({"kind": "note", "subject": BIG}, "subject"),
        ({"kind": "note", "subject": "x", "body": BIG}, "body"),
        ({"kind": "call", "subject": "x", "duration": "یک ساعت"}, "duration"),
        ({"kind": "call", "subject": "x", "duration": "-5"}, "duration"),
        ({"kind": "call", "subject": "x", "duration": "1e308"}, "duration"),
        ({"kind": "call", "subject": "x", "direction": "sideways"}, "direction"),
        (
            {
                "kind": "meeting",
                "subject": "x",
                "occurred_at": "1403/05/12 10:00",
                "ends_at": "1403/05/11 10:00",
            },
            "ends_at",
        ),
        ({"kind": "poem", "subject": "x"}, "kind"),
    ],
)
def test_bad_input_shows_the_error_by_field_and_keeps_values(client, person, data, field):
    data = {"person": person.pk, **data}
    response = client.post(CREATE, data, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#new-activity"
    html = response.content.decode()
    assert f'data-field="{field}"' in html
    if data["subject"] not in ("", BIG):
        assert f'name="subject" id="new-subject" value="{data["subject"]}"' in html
    assert not Activity.objects.exists()


def test_bad_input_without_htmx_gets_a_page_with_the_form(client, person):
    response = client.post(
        CREATE, {"person": person.pk, "kind": "task", "subject": "نگه‌دار", "due_at": "؟"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="due_at"' in html
    assert 'value="نگه‌دار"' in html
    assert "<html" in html


def test_xss_is_stored_inert_and_rendered_escaped(client, agent, person):
    services.create_activity(
        agent,
        {
            "person": person.pk,
            "kind": "task",
            "subject": XSS,
            "body": f"{XSS}\nline 2",
            "due_at": jalali_in(1),
            "location": XSS,
        },
    )
    html = render_to_string(
        "activities/_timeline.html",
        {"timeline": [{"type": "activity", "at": timezone.now(), "activity": only_activity()}]},
    )
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line 2" in html
    response = client.post(
        CREATE, {"person": person.pk, "kind": "note", "subject": XSS, "body": XSS}, headers=HTMX
    )
    assert XSS not in response.content.decode()
    edit = client.get(reverse("activities:activity_edit", args=[Activity.objects.first().pk]))
    assert XSS not in edit.content.decode()


def test_another_teams_customer_is_404(web_as, other_agent, person):
    client = web_as(other_agent)
    response = client.post(CREATE, {"person": person.pk, "kind": "note", "subject": "نفوذ"})
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_another_teams_activity_is_404_everywhere(web_as, agent, other_agent, person):
    task = services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "خصوصی", "due_at": jalali_in(1)}
    )
    client = web_as(other_agent)
    assert client.get(reverse("activities:activity_edit", args=[task.pk])).status_code == 404
    for name in ("activity_edit", "activity_done", "activity_delete"):
        assert client.post(reverse(f"activities:{name}", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert (task.done_at, task.deleted_at, task.subject) == (None, None, "خصوصی")


@pytest.mark.parametrize("garbage", ["abc", "۱۲x", "", "-1", "9" * 30])
def test_garbage_customer_id_is_404(client, garbage):
    response = client.post(CREATE, {"person": garbage, "kind": "note", "subject": "x"})
    assert response.status_code == 404


def test_viewer_gets_a_clear_message_and_writes_nothing(web_as, viewer, person):
    client = web_as(viewer)
    response = client.post(
        CREATE, {"person": person.pk, "kind": "note", "subject": "نه"}, headers=HTMX
    )
    assert response.status_code == 200
    with translation.override("fa"):
        assert gettext("Your role may only read records.") in response.content.decode()
    assert not Activity.objects.exists()


def test_done_button_completes_the_followup(client, agent, person):
    task = services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "بستن", "due_at": jalali_in(1)}
    )
    response = client.post(
        reverse("activities:activity_done", args=[task.pk]),
        {"version": task.version},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<ul class="timeline"')
    assert "text-bg-success" in response.content.decode()
    task.refresh_from_db()
    assert task.done_at is not None
    assert "بستن" not in client.get(reverse("activities:followups")).content.decode()


def test_done_without_htmx_redirects_to_the_customer(client, agent, person):
    task = services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "بستن", "due_at": jalali_in(1)}
    )
    response = client.post(reverse("activities:activity_done", args=[task.pk]))
    assert response["Location"] == reverse("customers:person_detail", args=[person.pk])
    task.refresh_from_db()
    assert task.done_at is not None


def test_done_with_a_stale_version_changes_nothing(client, agent, person):
    task = services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "بستن", "due_at": jalali_in(1)}
    )
    services.update_activity(agent, task, {"subject": "عوض شد"})
    response = client.post(
        reverse("activities:activity_done", args=[task.pk]), {"version": 1}, follow=True
    )
    assert (
        "someone else" in response.content.decode() or "alert-danger" in response.content.decode()
    )
    task.refresh_from_db()
    assert task.done_at is None


def test_edit_saves_and_returns_to_the_customer(client, agent, person):
    call = services.create_activity(
        agent, {"person": person.pk, "kind": "call", "subject": "تماس", "duration_seconds": 120}
    )
    page = client.get(reverse("activities:activity_edit", args=[call.pk])).content.decode()
    assert 'name="duration" id="duration" value="2"' in page
    assert 'name="version" value="1"' in page
    response = client.post(
        reverse("activities:activity_edit", args=[call.pk]),
        {
            "version": 1,
            "subject": "تماس ویرایش‌شده",
            "duration": "3",
            "duration_unit": "minutes",
            "outcome": "busy",
            "occurred_at": jalali_in(0, "09:15"),
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.subject, call.duration_seconds, call.outcome, call.version) == (
        "تماس ویرایش‌شده",
        180,
        "busy",
        2,
    )


def test_stale_edit_shows_the_conflict_message_and_keeps_my_text(
    client, web_as, agent, manager, person
):
    note = services.create_activity(agent, {"person": person.pk, "kind": "note", "subject": "اول"})
    services.update_activity(manager, note, {"subject": "نسخه مدیر"}, 1)
    response = client.post(
        reverse("activities:activity_edit", args=[note.pk]),
        {"version": 1, "subject": "نسخه من", "body": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="form-errors"' in html
    assert 'value="نسخه من"' in html
    note.refresh_from_db()
    assert note.subject == "نسخه مدیر"


def test_edit_can_reopen_and_complete_a_followup(client, agent, person):
    task = services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "کار", "due_at": jalali_in(1)}
    )
    url = reverse("activities:activity_edit", args=[task.pk])
    client.post(url, {"version": 1, "subject": "کار", "due_at": jalali_in(1), "done": "1"})
    task.refresh_from_db()
    assert task.done_at is not None
    client.post(url, {"version": task.version, "subject": "کار", "due_at": jalali_in(1)})
    task.refresh_from_db()
    assert task.done_at is None


def test_viewer_sees_the_edit_page_read_only(web_as, agent, viewer, person):
    note = services.create_activity(agent, {"person": person.pk, "kind": "note", "subject": "اول"})
    client = web_as(viewer)
    page = client.get(reverse("activities:activity_edit", args=[note.pk])).content.decode()
    assert "<fieldset disabled>" in page
    response = client.post(
        reverse("activities:activity_edit", args=[note.pk]), {"version": 1, "subject": "دوم"}
    )
    assert 'id="form-errors"' in response.content.decode()
    note.refresh_from_db()
    assert note.subject == "اول"


def test_delete_moves_to_trash(client, agent, person):
    note = services.create_activity(agent, {"person": person.pk, "kind": "note", "subject": "حذف"})
    assert client.get(reverse("activities:activity_delete", args=[note.pk])).status_code == 405
    response = client.post(reverse("activities:activity_delete", args=[note.pk]))
    assert response["Location"] == reverse("customers:person_detail", args=[person.pk])
    assert Activity.trashed.filter(pk=note.pk).exists()


def test_agent_cannot_trash_someone_elses_activity(web_as, agent, manager, person):
    note = services.create_activity(manager, {"person": person.pk, "kind": "note", "subject": "م"})
    response = web_as(agent).post(reverse("activities:activity_delete", args=[note.pk]))
    assert response.status_code == 302
    assert Activity.objects.filter(pk=note.pk).exists()


def test_timeline_shows_audit_changes(agent, person):
    note = services.create_activity(agent, {"person": person.pk, "kind": "note", "subject": "قدیم"})
    services.update_activity(agent, note, {"subject": "جدید"})
    from peyvand.activities.selectors import timeline

    html = render_to_string("activities/_timeline.html", {"timeline": timeline(agent, person)})
    assert "قدیم → جدید" in html
    assert html.index("قدیم → جدید") < html.index('id="activity-')  # newest first


def test_form_options_match_the_model_choices(agent, person):
    html = render_to_string(
        "activities/_new_activity.html", {"customer": person, "can_write": True, "user": agent}
    )
    for field in ("kind", "direction", "outcome", "priority"):
        select = re.search(rf'<select[^>]*name="{field}".*?</select>', html, re.S).group(0)
        offered = set(re.findall(r'value="([^"]+)"', select))
        assert offered == set(
            Activity._meta.get_field(field).choices
            and dict(Activity._meta.get_field(field).choices)
        ), field
    assert 'name="person"' in html


def test_new_activity_form_for_an_organization(agent, make_organization):
    org = make_organization(agent)
    html = render_to_string(
        "activities/_new_activity.html", {"customer": org, "can_write": True, "user": agent}
    )
    assert f'name="organization" value="{org.pk}"' in html


# ---- notifications -----------------------------------------------------------------------


def test_notifications_page_and_mark_all_read(client, agent, person):
    services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": XSS, "due_at": jalali_in(-1)}
    )
    services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "دوم", "due_at": jalali_in(-1)}
    )
    assert services.notify_due_followups() == 2
    Notification.objects.filter(message__contains="دوم").update(
        created_at=timezone.now() + timedelta(minutes=1)
    )
    html = client.get(reverse("activities:notifications")).content.decode()
    assert XSS not in html
    assert html.index("دوم") < html.index("&lt;script&gt;")  # newest first
    assert 'id="notifications-link">Notifications <span class="badge' in html or "badge" in html
    response = client.post(reverse("activities:notifications_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    html = client.get(reverse("activities:notifications")).content.decode()
    assert "unread" not in html.split('id="notifications"')[1]


def test_notifications_are_private(web_as, agent, other_agent, person):
    services.create_activity(
        agent, {"person": person.pk, "kind": "task", "subject": "مال من", "due_at": jalali_in(-1)}
    )
    services.notify_due_followups()
    assert (
        "مال من"
        not in web_as(other_agent).get(reverse("activities:notifications")).content.decode()
    )
    web_as(other_agent).post(reverse("activities:notifications_read"))
    assert Notification.objects.get().read_at is None
