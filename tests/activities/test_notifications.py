from datetime import timedelta

from django.utils import timezone, translation

from peyvand.activities import services, tasks
from peyvand.activities.models import Notification


def followup(actor, person, due, **extra):
    return services.create_activity(
        actor,
        {"person": person.pk, "kind": "task", "subject": "تماس با مشتری", "due_at": due, **extra},
    )


def test_due_followup_notifies_its_assignee_exactly_once(agent, manager, make_person):
    person = make_person(agent, first_name="رضا")
    task = followup(agent, person, timezone.now() - timedelta(minutes=5), assignee=manager.pk)
    assert services.notify_due_followups() == 1
    assert services.notify_due_followups() == 0
    note = Notification.objects.get()
    assert (note.user, note.activity) == (manager, task)
    assert "تماس با مشتری" in note.message and "رضا" in note.message


def test_future_and_done_followups_do_not_notify(agent, make_person):
    person = make_person(agent)
    followup(agent, person, timezone.now() + timedelta(hours=1))
    done = followup(agent, person, timezone.now() - timedelta(hours=1))
    services.complete_task(agent, done)
    services.create_activity(agent, {"person": person.pk, "kind": "note", "subject": "یادداشت"})
    assert services.notify_due_followups() == 0
    assert not Notification.objects.exists()


def test_moving_the_due_date_notifies_again(agent, make_person):
    person = make_person(agent)
    task = followup(agent, person, timezone.now() - timedelta(minutes=1))
    services.notify_due_followups()
    services.update_activity(agent, task, {"due_at": timezone.now() + timedelta(hours=2)})
    assert services.notify_due_followups() == 0
    assert services.notify_due_followups(now=timezone.now() + timedelta(hours=3)) == 1
    assert Notification.objects.filter(user=agent).count() == 2


def test_message_is_in_the_assignees_language(make_user, team_a, agent, make_person):
    english = make_user("agent", [team_a], language="en")
    person = make_person(agent)
    followup(agent, person, timezone.now() - timedelta(minutes=1), assignee=english.pk)
    with translation.override("fa"):
        services.notify_due_followups()
    assert Notification.objects.get().message.startswith("Follow-up due")


def test_periodic_task_runs_the_service(agent, make_person):
    person = make_person(agent)
    followup(agent, person, timezone.now() - timedelta(minutes=1))
    assert tasks.notify_due_followups.call_local() == 1
    assert Notification.objects.filter(user=agent).count() == 1
