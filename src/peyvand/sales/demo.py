"""Demo deals in bulk: a realistic mix over pipelines, stages, owners, teams, amounts and
expected close dates across 18 Jalali months, won and lost ones with their reasons and
closing dates, the stage history of each, and monthly targets for the demo people.

Written through the database's fast path (``core.bulk.insert_values``, one transaction; see
DESIGN.md "Performance") on top of the demo people of ``customers.demo`` when there are any.
"""

import datetime as dt
import random
import time

import jdatetime
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from peyvand.core.bulk import insert_values, reserve_ids
from peyvand.core.database import refresh_statistics
from peyvand.core.models import AuditEvent
from peyvand.customers.demo import demo_users
from peyvand.customers.models import Organization, Person, Source

from .deals import deal_search_text
from .models import Deal, LostReason, Pipeline, SalesTarget, Stage, StageChange

# A second pipeline beside the migration's «فروش»: (name, probability %, rotting days).
PROJECT_PIPELINE = "فروش سازمانی"
PROJECT_STAGES = [
    ("شناسایی نیاز", 10, 21),
    ("جلسه فنی", 30, 21),
    ("ارسال پیشنهاد", 50, 14),
    ("مذاکره قرارداد", 70, 10),
    ("تأیید نهایی", 90, 7),
]
OFFERINGS = [
    "نرم‌افزار حسابداری",
    "پشتیبانی سالانه",
    "راه‌اندازی شبکه",
    "خرید سرور",
    "قرارداد نگهداری",
    "آموزش کارکنان",
    "لایسنس سازمانی",
    "تجهیزات فروشگاه",
    "سامانه انبارداری",
    "طراحی وب‌سایت",
]
# Amounts in Rials: most deals small, a few large (rough log-uniform spread).
AMOUNT_RANGES = [
    (5_000_000, 50_000_000, 5),
    (50_000_000, 500_000_000, 3),
    (500_000_000, 5 * 10**9, 1),
]
MONTHS_BACK, MONTHS_AHEAD = 12, 6
SOURCES = Source.values
OUTCOMES = [Deal.Status.OPEN, Deal.Status.WON, Deal.Status.LOST]
CONTACTS_SAMPLE = 20_000


def _add_months(day: jdatetime.date, months: int) -> jdatetime.date:
    index = day.year * 12 + day.month - 1 + months
    return jdatetime.date(index // 12, index % 12 + 1, 1)


def demo_pipelines() -> list[Pipeline]:
    """The active pipelines with their stages, adding the second demo pipeline if missing."""
    pipeline, created = Pipeline.objects.get_or_create(
        name=PROJECT_PIPELINE, defaults={"position": 1}
    )
    if created:
        for position, (name, probability, rotting) in enumerate(PROJECT_STAGES):
            Stage.objects.create(
                pipeline=pipeline,
                name=name,
                position=position,
                probability=probability,
                rotting_days=rotting,
            )
    return list(Pipeline.objects.filter(is_active=True).prefetch_related("stages"))


class _DealMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.now = timezone.now()
        today = jdatetime.date.fromgregorian(date=timezone.localdate())
        self.window_start = self._midnight(_add_months(today, -MONTHS_BACK).togregorian())
        self.window_end = _add_months(today, MONTHS_AHEAD + 1).togregorian() - dt.timedelta(days=1)
        self.users = demo_users()
        self.owners = {user.pk: (user.pk, user.primary_team.pk) for user in self.users}
        self.pipelines = [(p, [s for s in p.stages.all() if s.is_active]) for p in demo_pipelines()]
        self.reasons = list(LostReason.objects.filter(is_active=True).values_list("pk", flat=True))
        self.people = list(
            Person.objects.values_list("pk", "first_name", "last_name", "owner_id")[
                :CONTACTS_SAMPLE
            ]
        )
        self.organizations = list(
            Organization.objects.values_list("pk", "name", "owner_id")[:CONTACTS_SAMPLE]
        )
        self.content_types = {
            model: ContentType.objects.get_for_model(model)
            for model in (Deal, Person, Organization)
        }
        self.deals, self.changes, self.events = [], [], []

    @staticmethod
    def _midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))

    def _between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        return start + (end - start) * self.rng.random()

    def _amount(self) -> int:
        low, high, _weight = self.rng.choices(AMOUNT_RANGES, weights=[r[2] for r in AMOUNT_RANGES])[
            0
        ]
        return round(low * (high / low) ** self.rng.random(), -5)

    def _customer(self) -> tuple[dict, str, int | None]:
        """The deal's person or organisation, its name for the title, and its owner."""
        rng = self.rng
        if self.organizations and rng.random() < 0.3:
            pk, name, owner_id = rng.choice(self.organizations)
            return {"organization_id": pk}, name, owner_id
        if self.people:
            pk, first, last, owner_id = rng.choice(self.people)
            return {"person_id": pk}, f"{first} {last}", owner_id
        return {}, "", None

    def _outcome(self, expected: dt.date | None) -> str:
        """Deals whose date has passed are mostly closed; future ones mostly open."""
        due = expected is not None and expected < self.now.date()
        weights = (25, 30, 45) if due else (85, 5, 10)
        return self.rng.choices(OUTCOMES, weights=weights)[0]

    def deal(self, pk: int) -> None:
        rng = self.rng
        customer, customer_name, customer_owner = self._customer()
        owner_id, team_id = self.owners.get(customer_owner) or rng.choice(
            list(self.owners.values())
        )
        pipeline, stages = rng.choice(self.pipelines)
        created = self._between(self.window_start, self.now)
        expected = None
        if rng.random() > 0.08:
            expected = min(
                created.date() + dt.timedelta(days=rng.randint(10, 150)), self.window_end
            )
        status = self._outcome(expected)
        # How far the deal got: open ones anywhere, won ones mostly late, lost ones mostly early.
        reached = rng.randrange(len(stages))
        if status == Deal.Status.WON:
            reached = max(reached, len(stages) - 2)
        closed_at = None
        if status != Deal.Status.OPEN:
            latest = self._midnight(expected) if expected else self.now
            closed_at = self._between(created, min(self.now, max(latest, created)))
        title = f"{rng.choice(OFFERINGS)} {customer_name}".strip()
        moments = sorted(self._between(created, closed_at or self.now) for _ in range(reached))
        self.deals.append(
            {
                "id": pk,
                "title": title,
                "pipeline_id": pipeline.pk,
                "stage_id": stages[reached].pk,
                "amount": self._amount(),
                "expected_close": expected,
                "status": status,
                "closed_at": closed_at,
                "lost_reason_id": rng.choice(self.reasons) if status == Deal.Status.LOST else None,
                "source": rng.choice(SOURCES),
                "board_position": float(pk),
                "stage_entered_at": moments[-1] if moments else created,
                "last_activity_at": self._between(created, closed_at or self.now),
                "search_text": deal_search_text(title, customer_name),
                "owner_id": owner_id,
                "team_id": team_id,
                "created_by_id": owner_id,
                "created_at": created,
                "updated_at": closed_at or created,
                **customer,
            }
        )
        self._history(pk, stages, reached, [created, *moments], status, closed_at, owner_id)
        self._audit(pk, title, created, owner_id, customer)

    def _history(self, deal_id, stages, reached, moments, status, closed_at, by) -> None:
        """A row per stage entered (the first at creation), and one for the closing."""
        previous = None
        for stage, at in zip(stages[: reached + 1], moments, strict=True):
            self.changes.append(
                {
                    "deal_id": deal_id,
                    "from_stage_id": previous,
                    "to_stage_id": stage.pk,
                    "status": Deal.Status.OPEN,
                    "at": at,
                    "by_id": by,
                }
            )
            previous = stage.pk
        if closed_at:
            self.changes.append(
                {
                    "deal_id": deal_id,
                    "from_stage_id": previous,
                    "to_stage_id": previous,
                    "status": status,
                    "at": closed_at,
                    "by_id": by,
                }
            )

    def _audit(self, deal_id, title, created, owner_id, customer) -> None:
        subject_type, subject_id = None, None
        if "person_id" in customer:
            subject_type, subject_id = self.content_types[Person].pk, customer["person_id"]
        elif "organization_id" in customer:
            subject_type = self.content_types[Organization].pk
            subject_id = customer["organization_id"]
        self.events.append(
            {
                "at": created,
                "actor_id": owner_id,
                "action": AuditEvent.Action.CREATE,
                "content_type_id": self.content_types[Deal].pk,
                "object_id": deal_id,
                "object_repr": title[:300],
                "subject_type_id": subject_type,
                "subject_id": subject_id,
            }
        )

    def targets(self) -> int:
        """Monthly targets per demo owner over the window: about what they won a month on
        average, a tenth more."""
        won = [row for row in self.deals if row["status"] == Deal.Status.WON]
        months = MONTHS_BACK + MONTHS_AHEAD + 1
        today = jdatetime.date.fromgregorian(date=timezone.localdate())
        count = 0
        for user in self.users:
            total = sum(row["amount"] for row in won if row["owner_id"] == user.pk)
            amount = round(total * 1.1 / months, -6)
            if not amount:
                continue
            for offset in range(-MONTHS_BACK, MONTHS_AHEAD + 1):
                month = _add_months(today, offset)
                SalesTarget.objects.update_or_create(
                    year=month.year, month=month.month, user=user, defaults={"amount": amount}
                )
                count += 1
        return count


def generate_deals(count: int, *, seed: int | None = None) -> dict:
    """Add ``count`` demo deals (with history, audit events and targets); return counts."""
    started = time.monotonic()
    maker = _DealMaker(random.Random(seed))
    with transaction.atomic():
        for pk in reserve_ids(Deal, count) if count else []:
            maker.deal(pk)
        insert_values(Deal, maker.deals)
        insert_values(StageChange, maker.changes)
        insert_values(AuditEvent, maker.events)
        target_count = maker.targets()
    refresh_statistics()
    statuses = [row["status"] for row in maker.deals]
    return {
        "deals": len(maker.deals),
        "won": statuses.count(Deal.Status.WON),
        "lost": statuses.count(Deal.Status.LOST),
        "stage_changes": len(maker.changes),
        "targets": target_count,
        "seconds": round(time.monotonic() - started, 2),
    }
