"""Realistic Persian demo data: people, organisations, contact points and two years of activity.

Written through the database's fast path (``executemany`` in one transaction, see DESIGN.md
"Performance"), yet with the same normalised values the services write: phones in E.164 via
``normalize_phone``, valid check digits for national and legal IDs, and the search keys from
``customers.services.customer_keys``.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jdatetime
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from iranian_cities.models import City

from peyvand.accounts import services as accounts
from peyvand.accounts.models import Role, Team, User
from peyvand.activities.models import Activity
from peyvand.core.bulk import insert_rows, reserve_ids
from peyvand.core.database import refresh_statistics
from peyvand.core.models import AuditEvent
from peyvand.core.persian import search_key, to_persian_digits
from peyvand.core.phone import normalize_phone

from .models import (
    Address,
    Channel,
    Consent,
    ConsentChannel,
    Email,
    Gender,
    LifecycleStage,
    Membership,
    Organization,
    Person,
    Phone,
    SocialHandle,
    Source,
    Tag,
)
from .services import customer_keys

MALE_NAMES = """
علی محمد حسین رضا مهدی امیر حسن احمد مصطفی مجتبی سعید حمید مسعود مجید وحید جواد
محسن میلاد پویا پدرام پیمان کامران بهرام بهروز بهزاد فرهاد فرشید فریدون داریوش کوروش
آرش آرمان آرین آریا سینا سامان سهراب سیاوش شهرام شاهین کیوان کیانوش کاوه بابک بیژن
منصور ناصر نادر هادی هومن یاسر یوسف یونس ابراهیم اسماعیل اکبر اصغر جعفر جلال جمشید
حامد حمیدرضا علیرضا محمدرضا امیرحسین امیرعلی ابوالفضل عباس عرفان عماد فرزاد فرید
قاسم کاظم کریم کمال مازیار مرتضی مهران مهرداد مهیار نیما نوید هاشم هوشنگ پرویز تورج
رامین رسول روزبه سجاد سروش شهاب شایان صادق طاها عادل عطا غلامرضا فرامرز کیارش
ماهان متین مانی مهرزاد ناصرالدین نصرالله یزدان افشین امید ایمان بردیا بنیامین
پارسا پرهام توحید حمزه دانیال رضوان رحیم رحمان سبحان سپهر شروین صابر ظفر فربد
کسری کیان محمدعلی محمدحسین محمدمهدی مسیح مصطفی‌علی میثم نریمان وهاب یاشار
""".split()  # noqa: SIM905 (a long word list reads better as text)

FEMALE_NAMES = """
فاطمه زهرا مریم زینب معصومه سمیه لیلا نرگس نازنین نسرین نگار نیلوفر سارا سمیرا سپیده
شیما شیرین شهلا شهره پریسا پریا پرستو پروین پگاه ترانه تینا جمیله حدیث حمیده خدیجه
رویا رها ریحانه زیبا ژاله ساناز سحر سوسن سیما شبنم شقایق صبا صدف طاهره عاطفه عسل
فرزانه فرشته فریبا فرناز فروغ کبری کتایون کیمیا گلاره گلناز گیتی لادن لاله مائده
مهسا مهتاب مهناز مهین مینا مژگان ملیکه منیژه نادیا ناهید نجمه ندا نسترن نفیسه
نوشین هانیه هستی هدیه هما یاسمن یگانه الهام الهه آزاده آناهیتا آیدا آتنا اعظم افسانه
بهاره بهناز بیتا پانته‌آ تارا ثمین دریا دلارام رعنا روشنک ستاره سوگند سولماز شادی
شکوفه طناز فائزه فرحناز فهیمه کوثر گلنوش محبوبه محدثه مرجان مرضیه مهشید میترا
نازیلا نرجس نیکو نیوشا هاله هلیا یلدا آرزو ارغوان اکرم بهار پوپک ترلان حنانه
""".split()  # noqa: SIM905 (a long word list reads better as text)

LAST_NAMES = """
محمدی حسینی احمدی رضایی کریمی موسوی جعفری صادقی رحیمی هاشمی قاسمی عباسی کاظمی
مرادی حیدری نوری زارعی سلیمانی اکبری عسگری طاهری ملکی شریفی رستمی باقری نجفی
یوسفی کرمی فرهادی بهرامی سلطانی امیری صالحی میرزایی ابراهیمی نظری قربانی خسروی
رحمانی اسدی مختاری جلالی پورمحمدی تهرانی شیرازی اصفهانی تبریزی کرمانی یزدی
قزوینی رشتی کاشانی همدانی خراسانی مشهدی گیلانی مازندرانی لاهیجی دماوندی
فراهانی بروجردی نیشابوری سبزواری شاهرودی دامغانی سمنانی زنجانی اردبیلی
ارومیه‌ای کردستانی کرمانشاهی بوشهری هرمزی بندری آملی ساروی بابلی گرگانی
نیک‌نام نیکخواه خوش‌نیت روشن روشن‌ضمیر دانشور دانشمند فرزانه فرهمند فرخی
مهرابی مهرپور مهرآبادی امینی امین‌زاده حسن‌زاده حسین‌زاده علی‌زاده رضازاده
تقی‌زاده نقی‌زاده کاظم‌زاده قاسم‌زاده عباس‌زاده اکبرزاده جعفرزاده صادق‌زاده
ابراهیم‌زاده موسی‌زاده یوسف‌زاده پورحسینی پورعلی پوررضا پورکریم پورقاسم
شجاعی شکوهی شهابی شهیدی صدری صفایی طالبی طباطبایی عطایی علوی غفاری فتحی
فلاحی قدیری قنبری کامرانی کیانی گودرزی لطفی مجیدی محسنی مظفری معینی منصوری
میرحسینی نادری نصیری نعمتی نیکبخت وحیدی وکیلی هدایتی یزدانی یگانه بختیاری
افشار قاجار زند پهلوان دلاوری سپهری آذری آزادی آشتیانی ایزدی بیات پاکزاد
توکلی ثابتی جهانگیری چراغی حافظی خلیلی دهقان ربانی زمانی سجادی سرمدی
""".split()  # noqa: SIM905 (a long word list reads better as text)

ORG_KINDS = ["شرکت", "گروه صنعتی", "بازرگانی", "فروشگاه‌های زنجیره‌ای", "مؤسسه", "هلدینگ"]
ORG_WORDS = [
    ("پارس", "pars"),
    ("آریا", "arya"),
    ("سپهر", "sepehr"),
    ("البرز", "alborz"),
    ("دماوند", "damavand"),
    ("کیمیا", "kimia"),
    ("تدبیر", "tadbir"),
    ("آفتاب", "aftab"),
    ("مهر", "mehr"),
    ("آسمان", "aseman"),
    ("نوآوران", "noavaran"),
    ("پیشگامان", "pishgaman"),
    ("سپیدار", "sepidar"),
    ("زاگرس", "zagros"),
    ("خلیج فارس", "khalijfars"),
    ("ستاره", "setareh"),
    ("رایان", "rayan"),
    ("هامون", "hamoon"),
    ("ارغوان", "arghavan"),
    ("پردیس", "pardis"),
]
ORG_FIELDS = [
    ("تجارت", "tejarat", "بازرگانی"),
    ("صنعت", "sanat", "تولید صنعتی"),
    ("فناوری اطلاعات", "it", "فناوری اطلاعات"),
    ("پخش", "pakhsh", "پخش و توزیع"),
    ("ساختمان", "sakhteman", "ساخت و ساز"),
    ("غذا", "ghaza", "مواد غذایی"),
    ("دارو", "daru", "دارویی و سلامت"),
    ("نرم‌افزار", "software", "نرم‌افزار"),
    ("حمل و نقل", "haml", "حمل و نقل"),
    ("گردشگری", "tour", "گردشگری"),
]
JOB_TITLES = [
    "مدیرعامل",
    "مدیر فروش",
    "کارشناس فروش",
    "مدیر مالی",
    "حسابدار",
    "مدیر بازاریابی",
    "کارشناس خرید",
    "مدیر فنی",
    "برنامه‌نویس",
    "مسئول دفتر",
    "مدیر منابع انسانی",
    "کارشناس پشتیبانی",
]
TAG_NAMES = ["مشتری ویژه", "عمده‌فروش", "همکار", "نمایشگاه ۱۴۰۳", "معرفی‌شده", "پیگیری فوری"]
STREETS = ["ولیعصر", "انقلاب", "آزادی", "شریعتی", "امام خمینی", "بهار", "فردوسی", "حافظ", "سعدی"]
MOBILE_PREFIXES = ["912", "919", "935", "936", "937", "990", "991", "901", "921", "917", "915"]
SUBJECTS = {
    Activity.Kind.NOTE: ["یادداشت جلسه", "درخواست پیش‌فاکتور", "نظر مشتری", "تغییر نشانی"],
    Activity.Kind.CALL: [
        "تماس پیگیری",
        "پاسخ به استعلام قیمت",
        "تماس معرفی محصول",
        "پیگیری پرداخت",
    ],
    Activity.Kind.MEETING: ["جلسه معرفی", "بازدید از دفتر", "جلسه مذاکره", "نمایش محصول"],
    Activity.Kind.TASK: ["ارسال پیش‌فاکتور", "تماس دوباره", "ارسال کاتالوگ", "پیگیری قرارداد"],
}
BODIES = [
    "مشتری به نسخهٔ سازمانی علاقه دارد.",
    "قیمت‌ها برای ایشان ارسال شد.",
    "قرار شد هفتهٔ بعد دوباره صحبت کنیم.",
    "درخواست تخفیف برای خرید عمده داشتند.",
    "",
]
LATIN = str.maketrans(
    {
        "ا": "a",
        "آ": "a",
        "ب": "b",
        "پ": "p",
        "ت": "t",
        "ث": "s",
        "ج": "j",
        "چ": "ch",
        "ح": "h",
        "خ": "kh",
        "د": "d",
        "ذ": "z",
        "ر": "r",
        "ز": "z",
        "ژ": "zh",
        "س": "s",
        "ش": "sh",
        "ص": "s",
        "ض": "z",
        "ط": "t",
        "ظ": "z",
        "ع": "",
        "غ": "gh",
        "ف": "f",
        "ق": "gh",
        "ک": "k",
        "گ": "g",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "و": "v",
        "ه": "h",
        "ی": "i",
        "ئ": "",
        "ء": "",
        "أ": "a",
        "ؤ": "o",
        "ۀ": "h",
        "\u200c": "",
        " ": "",
    }
)
# RFC 2606 domains: demo addresses can never reach a real inbox by accident.
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
DEMO_TEAMS = ["تیم فروش", "تیم پشتیبانی"]
DEMO_USERS = [
    ("demo-manager@example.com", "مدیر نمونه", Role.MANAGER, (0, 1)),
    ("demo-agent1@example.com", "کارشناس فروش یک", Role.AGENT, (0,)),
    ("demo-agent2@example.com", "کارشناس فروش دو", Role.AGENT, (0,)),
    ("demo-agent3@example.com", "کارشناس پشتیبانی یک", Role.AGENT, (1,)),
    ("demo-agent4@example.com", "کارشناس پشتیبانی دو", Role.AGENT, (1,)),
]
STAGE_WEIGHTS = {
    LifecycleStage.SUBSCRIBER: 10,
    LifecycleStage.LEAD: 30,
    LifecycleStage.OPPORTUNITY: 15,
    LifecycleStage.CUSTOMER: 30,
    LifecycleStage.LOYAL: 10,
    LifecycleStage.CHURNED: 5,
}
# Choice values, looked up once: enum ``.values`` rebuilds its list on every access.
KINDS = Activity.Kind.values
DIRECTIONS = Activity.Direction.values
OUTCOMES = Activity.Outcome.values
PRIORITIES = Activity.Priority.values
SOURCES = Source.values
CHANNELS = Channel.values
CONSENT_CHANNELS = ConsentChannel.values
NETWORKS = SocialHandle.Network.values


# ---- valid Iranian identifiers ------------------------------------------------------------


def national_id(rng: random.Random) -> str:
    """A random کد ملی with a correct mod-11 check digit."""
    while True:
        body = [rng.randrange(10) for _ in range(9)]
        if len(set(body)) > 1:
            break
    total = sum(d * (10 - i) for i, d in enumerate(body)) % 11
    check = total if total < 2 else 11 - total
    return "".join(map(str, body)) + str(check)


_LEGAL_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def legal_id(rng: random.Random) -> str:
    """A random 11-digit شناسه ملی with its weighted check digit."""
    body = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(9)]
    decimal = body[9] + 2
    check = sum((d + decimal) * w for d, w in zip(body, _LEGAL_WEIGHTS, strict=True)) % 11 % 10
    return "".join(map(str, body)) + str(check)


def mobile_as_typed(rng: random.Random) -> str:
    """A valid Iranian mobile number in one of the ways people write it."""
    prefix, rest = rng.choice(MOBILE_PREFIXES), f"{rng.randrange(10_000_000):07d}"
    return rng.choice(
        [
            f"0{prefix}{rest}",
            f"0{prefix} {rest[:3]} {rest[3:]}",
            f"+98 {prefix} {rest[:3]} {rest[3:]}",
            f"0098{prefix}{rest}",
            to_persian_digits(f"0{prefix}{rest}"),
        ]
    )


def latin(text: str) -> str:
    return text.translate(LATIN) or "user"


# ---- generation ---------------------------------------------------------------------------


@dataclass
class _Batch:
    """Rows collected in memory and written table by table at the end, parents first."""

    rows: dict = field(default_factory=lambda: {Organization: [], Person: []})

    def add(self, model, obj):
        self.rows.setdefault(model, []).append(obj)

    def write(self):
        for model, objs in self.rows.items():
            insert_rows(model, objs)


def demo_users(password: str | None = None) -> list[User]:
    """The demo team members (created on the first run, reused after)."""
    teams = [Team.objects.get_or_create(name=name)[0] for name in DEMO_TEAMS]
    users = []
    for email, full_name, role, team_indexes in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None and password:
            user = accounts.create_user(
                None, email=email, password=password, full_name=full_name, role=role
            )
        elif user is None:
            # No password given: the accounts exist to own records, not to log in with.
            user = User.objects.create_user(email, None, full_name=full_name, role=role)
        user.teams.add(*(teams[i] for i in team_indexes))
        users.append(user)
    return users


def demo_tags() -> list[Tag]:
    tags = []
    for name in TAG_NAMES:
        key = search_key(name)
        tag = Tag.objects.filter(key=key).first() or Tag.objects.create(name=name, key=key)
        tags.append(tag)
    return tags


class _Generator:
    def __init__(self, rng: random.Random, users: list[User], tags: list[Tag]):
        self.rng = rng
        self.owners = [(u, u.primary_team) for u in users]
        self.tags = tags
        self.cities = list(City.objects.values_list("id", "province_id"))
        self.now = timezone.now()
        # "The last two Jalali years": from 1 Farvardin of last year until now.
        first_day = jdatetime.date(jdatetime.date.today().year - 1, 1, 1).togregorian()
        self.start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
        self.batch = _Batch()
        self.content_types = {
            model: ContentType.objects.get_for_model(model) for model in (Person, Organization)
        }

    def moment(self, after=None) -> datetime:
        start = after or self.start
        return start + timedelta(seconds=self.rng.uniform(0, (self.now - start).total_seconds()))

    def owner(self):
        # Agents own most records, the manager a few.
        weights = [1] + [4] * (len(self.owners) - 1)
        return self.rng.choices(self.owners, weights=weights)[0]

    def contact_points(self, obj, owner_field: str, emails_from: str) -> dict:
        rng = self.rng
        phones = {normalize_phone(mobile_as_typed(rng)) for _ in range(rng.choice([1, 1, 1, 2]))}
        for i, number in enumerate(sorted(phones)):
            self.batch.add(
                Phone, Phone(**{owner_field: obj}, number=number, kind="mobile", position=i)
            )
        emails = []
        if rng.random() < 0.8:
            emails.append(f"{emails_from}{rng.randrange(1, 999)}@{rng.choice(EMAIL_DOMAINS)}")
            self.batch.add(Email, Email(**{owner_field: obj}, address=emails[0]))
        if rng.random() < 0.9:
            city_id, province_id = rng.choice(self.cities)
            line = to_persian_digits(
                f"خیابان {rng.choice(STREETS)}، کوچه {rng.randrange(1, 40)}، "
                f"پلاک {rng.randrange(1, 200)}"
            )
            postal = "".join(rng.choice("13456789") for _ in range(10))
            self.batch.add(
                Address,
                Address(
                    **{owner_field: obj},
                    kind="work" if owner_field == "organization" else "home",
                    province_id=province_id,
                    city_id=city_id,
                    line=line,
                    postal_code=postal,
                ),
            )
        handles = []
        if rng.random() < 0.3:
            handles.append(f"{emails_from}_{rng.randrange(10, 99)}"[:64])
            network = rng.choice(NETWORKS)
            self.batch.add(
                SocialHandle, SocialHandle(**{owner_field: obj}, network=network, handle=handles[0])
            )
        return {"phones": sorted(phones), "emails": emails, "handles": handles}

    def customer_fields(self) -> dict:
        owner, team = self.owner()
        created = self.moment()
        return {
            "owner": owner,
            "team": team,
            "created_by": owner,
            "created_at": created,
            "source": self.rng.choice(SOURCES),
            "lifecycle_stage": self.rng.choices(
                list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values())
            )[0],
        }

    def audit(self, obj, model):
        content_type = self.content_types[model]
        self.batch.add(
            AuditEvent,
            AuditEvent(
                at=obj.created_at,
                actor=obj.owner,
                action=AuditEvent.Action.CREATE,
                content_type=content_type,
                object_id=obj.pk,
                object_repr=str(obj)[:300],
                subject_type=content_type,
                subject_id=obj.pk,
            ),
        )

    def tag(self, obj, model):
        through = model.tags.through
        fk = "person" if model is Person else "organization"
        for tag in self.rng.sample(self.tags, self.rng.choice([0, 0, 1, 1, 2])):
            self.batch.add(through, through(**{fk: obj, "tag": tag}))

    def organizations(self, count: int) -> list[Organization]:
        rng = self.rng
        orgs = []
        for pk in reserve_ids(Organization, count) if count else []:
            word, word_latin = rng.choice(ORG_WORDS)
            trade, trade_latin, industry = rng.choice(ORG_FIELDS)
            org = Organization(
                pk=pk,
                name=f"{rng.choice(ORG_KINDS)} {trade} {word}",
                national_id=legal_id(rng),
                economic_code=f"4111{rng.randrange(10**8):08d}",
                industry=industry,
                size=rng.choice(["1-10", "11-50", "51-200", "201-1000", "1000+"]),
                website=f"https://www.{word_latin}{trade_latin}{pk}.example.com",
                **self.customer_fields(),
            )
            keys = self.contact_points(org, "organization", f"info.{word_latin}{pk}")
            org.name_key, org.search_text = customer_keys(org, **keys)
            self.batch.add(Organization, org)
            self.tag(org, Organization)
            self.audit(org, Organization)
            orgs.append(org)
        return orgs

    def people(self, count: int, orgs: list[Organization]) -> list[Person]:
        rng = self.rng
        people = []
        for pk in reserve_ids(Person, count) if count else []:
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            first = rng.choice(MALE_NAMES if gender == Gender.MALE else FEMALE_NAMES)
            last = rng.choice(LAST_NAMES)
            person = Person(
                pk=pk,
                first_name=first,
                last_name=last,
                gender=gender,
                national_id=national_id(rng) if rng.random() < 0.7 else "",
                birthday=(
                    self.now.date() - timedelta(days=rng.randrange(18 * 365, 75 * 365))
                    if rng.random() < 0.6
                    else None
                ),
                preferred_channel=rng.choice(CHANNELS),
                **self.customer_fields(),
            )
            org_names = []
            if orgs and rng.random() < 0.6:
                org = rng.choice(orgs)
                org_names.append(org.name)
                self.batch.add(
                    Membership,
                    Membership(person=person, organization=org, job_title=rng.choice(JOB_TITLES)),
                )
            keys = self.contact_points(person, "person", f"{latin(first)}.{latin(last)}")
            person.name_key, person.search_text = customer_keys(person, org_names=org_names, **keys)
            self.batch.add(Person, person)
            self.consents(person)
            self.tag(person, Person)
            self.audit(person, Person)
            people.append(person)
        return people

    def consents(self, person: Person):
        for channel in self.rng.sample(CONSENT_CHANNELS, self.rng.randrange(0, 3)):
            self.batch.add(
                Consent,
                Consent(
                    person=person,
                    channel=channel,
                    granted=self.rng.random() < 0.8,
                    recorded_at=person.created_at,
                    source="فرم وب‌سایت",
                ),
            )

    def activities(self, people: list[Person]) -> int:
        rng = self.rng
        count = 0
        for person in people:
            for _ in range(rng.randint(3, 5)):
                kind = rng.choice(KINDS)
                at = self.moment(after=person.created_at)
                activity = Activity(
                    kind=kind,
                    subject=rng.choice(SUBJECTS[kind]),
                    body=rng.choice(BODIES),
                    person=person,
                    occurred_at=at,
                    owner=person.owner,
                    team=person.team,
                    created_by=person.owner,
                    created_at=at,
                )
                if kind == Activity.Kind.CALL:
                    activity.direction = rng.choice(DIRECTIONS)
                    activity.outcome = rng.choice(OUTCOMES)
                    activity.duration_seconds = rng.randrange(20, 1800)
                elif kind == Activity.Kind.MEETING:
                    activity.ends_at = at + timedelta(minutes=rng.choice([30, 60, 90]))
                    activity.location = rng.choice(["دفتر مرکزی", "دفتر مشتری", "تماس تصویری"])
                elif kind == Activity.Kind.TASK:
                    self.follow_up(activity, at)
                self.batch.add(Activity, activity)
                count += 1
        return count

    def follow_up(self, activity: Activity, at: datetime) -> None:
        activity.assignee = activity.owner
        activity.priority = self.rng.choice(PRIORITIES)
        activity.due_at = at + timedelta(days=self.rng.randint(1, 14), hours=self.rng.randint(0, 8))
        if activity.due_at < self.now:
            # Old follow-ups are mostly done; the few still open were already notified, so the
            # worker does not flood the demo users with notifications on its first run.
            activity.notified_at = activity.due_at
            if self.rng.random() < 0.85:
                activity.done_at = activity.due_at


def generate(people: int, *, seed: int | None = None, users_password: str | None = None) -> dict:
    """Add ``people`` demo people (and about a tenth as many organisations); return counts."""
    started = time.monotonic()
    rng = random.Random(seed)
    with transaction.atomic():
        generator = _Generator(rng, demo_users(users_password), demo_tags())
        orgs = generator.organizations(max(1, people // 10) if people else 0)
        persons = generator.people(people, orgs)
        activities = generator.activities(persons)
        generator.batch.write()
    refresh_statistics()
    return {
        "people": len(persons),
        "organizations": len(orgs),
        "activities": activities,
        "seconds": round(time.monotonic() - started, 2),
    }
