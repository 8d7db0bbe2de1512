"""People, organisations, their contact points, tags, consents and custom fields."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import BusinessRecord


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", _("Subscriber")
    LEAD = "lead", _("Lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    LOYAL = "loyal", _("Loyal customer")
    CHURNED = "churned", _("Churned")


class Source(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    PHONE = "phone", _("Phone call")
    EXHIBITION = "exhibition", _("Exhibition")
    SOCIAL = "social", _("Social media")
    CAMPAIGN = "campaign", _("Campaign")
    WALK_IN = "walk_in", _("In person")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNSPECIFIED = "unspecified", _("Unspecified")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    MESSENGER = "messenger", _("Messenger")


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    CALL = "call", _("Calls")
    MESSENGER = "messenger", _("Messengers")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    key = models.CharField(max_length=60, db_index=True, editable=False)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class CustomFieldDefinition(models.Model):
    class Entity(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organization")

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Jalali date")
        CHOICE = "choice", _("Choice")
        MULTICHOICE = "multichoice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes/no")

    entity = models.CharField(_("record type"), max_length=16, choices=Entity.choices)
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["entity", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="custom_field_entity_key")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self):
        return self.label


# The scalar fields of a person's profile, and those every customer has; forms, imports
# and merges all work through these.
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "national_id",
    "birthday",
    "gender",
    "preferred_channel",
)
CUSTOMER_FIELDS = ("source", "lifecycle_stage", "description")


class Customer(BusinessRecord):
    """What people and organisations share."""

    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
        db_index=True,
    )
    description = models.TextField(_("description"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Normalised keys written on save: ``name_key`` sorts in Persian alphabetical order
    # (core.persian.sort_key; a "C" collation on PostgreSQL), ``search_text`` is what
    # search reads.
    name_key = models.CharField(max_length=310, db_index=True, editable=False)
    search_text = models.TextField(editable=False, default="")

    class Meta:
        abstract = True

    @classmethod
    def audit_labels(cls) -> dict:
        """Names of the audit snapshot's keys that are not model fields."""
        entity = cls._meta.model_name
        labels = {
            "tags": _("tags"),
            "phones": _("phones"),
            "emails": _("e-mails"),
            "addresses": _("addresses"),
            "social_handles": _("social handles"),
            "consents": _("consents"),
            "organizations": _("organizations"),
            "import": _("imported from file"),
            "merged": _("merged with"),
            "merged_into": _("merged into"),
            "merge_undone": _("merge undone"),
        }
        definitions = CustomFieldDefinition.objects.filter(entity=entity)
        for key, label in definitions.values_list("key", "label"):
            labels[f"custom.{key}"] = label
        return labels

    def contact_lists(self) -> dict:
        """Phones, e-mails, addresses and handles in the shape the services take as input."""
        return {
            "phones": [{"number": p.number, "kind": p.kind} for p in self.phones.all()],
            "emails": [{"address": e.address, "kind": e.kind} for e in self.emails.all()],
            "addresses": [
                {
                    "province": a.province_id,
                    "city": a.city_id,
                    "line": a.line,
                    "postal_code": a.postal_code,
                    "kind": a.kind,
                }
                for a in self.addresses.all()
            ],
            "social_handles": [
                {"network": h.network, "handle": h.handle} for h in self.social_handles.all()
            ],
        }

    def _common_snapshot(self) -> dict:
        snapshot = {
            "source": self.source,
            "lifecycle_stage": self.lifecycle_stage,
            "description": self.description,
            "owner": str(self.owner) if self.owner_id else None,
            "team": str(self.team) if self.team_id else None,
            "tags": ", ".join(sorted(t.name for t in self.tags.all())),
            "phones": ", ".join(p.number for p in self.phones.all()),
            "emails": ", ".join(e.address for e in self.emails.all()),
            "addresses": " | ".join(
                " ".join(
                    filter(None, [str(a.province or ""), str(a.city or ""), a.line, a.postal_code])
                )
                for a in self.addresses.select_related("province", "city")
            ),
            "social_handles": ", ".join(
                f"{h.network}:{h.handle}" for h in self.social_handles.all()
            ),
        }
        snapshot.update({f"custom.{k}": v for k, v in (self.custom or {}).items()})
        return snapshot


class Organization(Customer):
    name = models.CharField(_("name"), max_length=200)
    national_id = models.CharField(_("national ID"), max_length=11, blank=True, db_index=True)
    economic_code = models.CharField(_("economic code"), max_length=12, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(
        _("size"),
        max_length=10,
        blank=True,
        choices=[
            ("1-10", _("1-10 employees")),
            ("11-50", _("11-50 employees")),
            ("51-200", _("51-200 employees")),
            ("201-1000", _("201-1000 employees")),
            ("1000+", _("More than 1000 employees")),
        ],
    )
    website = models.URLField(_("website"), max_length=300, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="organizations")

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [models.Index(fields=["owner", "team"], name="org_owner_team")]

    def __str__(self):
        return self.name

    def audit_snapshot(self) -> dict:
        return {
            "name": self.name,
            "national_id": self.national_id,
            "economic_code": self.economic_code,
            "industry": self.industry,
            "size": self.size,
            "website": self.website,
            **self._common_snapshot(),
        }


class Person(Customer):
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150)
    national_id = models.CharField(_("national ID"), max_length=10, blank=True, db_index=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=12, choices=Channel.choices, blank=True
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="people")
    organizations = models.ManyToManyField(
        Organization, through="Membership", related_name="people", blank=True
    )

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["owner", "team"], name="person_owner_team")]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def audit_snapshot(self) -> dict:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "national_id": self.national_id,
            "birthday": self.birthday.isoformat() if self.birthday else None,
            "gender": self.gender,
            "preferred_channel": self.preferred_channel,
            "consents": ", ".join(
                f"{c.channel}:{'yes' if c.granted else 'no'}" for c in self.consents.all()
            ),
            "organizations": ", ".join(
                f"{m.organization.name} ({m.job_title})" if m.job_title else m.organization.name
                for m in self.memberships.select_related("organization")
            ),
            **self._common_snapshot(),
        }


class Membership(models.Model):
    """A person's place in an organisation."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "organization"], name="membership_unique")
        ]


class ContactPoint(models.Model):
    """Belongs to exactly one person or one organisation (each subclass has both keys)."""

    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


def _one_owner(name):
    return models.CheckConstraint(
        condition=Q(person__isnull=False, organization__isnull=True)
        | Q(person__isnull=True, organization__isnull=False),
        name=f"{name}_one_owner",
    )


class Phone(ContactPoint):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        WORK = "work", _("Work")
        HOME = "home", _("Home")
        FAX = "fax", _("Fax")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)

    class Meta(ContactPoint.Meta):
        constraints = [_one_owner("phone")]


class Email(ContactPoint):
    class Kind(models.TextChoices):
        WORK = "work", _("Work")
        PERSONAL = "personal", _("Personal")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    address = models.EmailField(_("e-mail"), max_length=254, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORK)

    class Meta(ContactPoint.Meta):
        constraints = [_one_owner("email")]


class Address(ContactPoint):
    class Kind(models.TextChoices):
        HOME = "home", _("Home")
        WORK = "work", _("Work")
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Shipping")

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOME)
    province = models.ForeignKey(
        "iranian_cities.Province", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey(
        "iranian_cities.City", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    line = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)

    class Meta(ContactPoint.Meta):
        constraints = [_one_owner("address")]


class SocialHandle(ContactPoint):
    class Network(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram")
        INSTAGRAM = "instagram", _("Instagram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        BALE = "bale", _("Bale")
        EITAA = "eitaa", _("Eitaa")

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="social_handles"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="social_handles"
    )
    network = models.CharField(_("network"), max_length=10, choices=Network.choices)
    handle = models.CharField(_("handle"), max_length=100)

    class Meta(ContactPoint.Meta):
        constraints = [_one_owner("social")]


class Consent(models.Model):
    """A person's current consent to be contacted on one channel; its history is in the audit."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    source = models.CharField(_("source of consent"), max_length=200, blank=True)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(fields=["person", "channel"], name="consent_person_channel")
        ]


# ---- duplicates and merges ----------------------------------------------------------------


class DuplicatePair(models.Model):
    """Two people the duplicate scan thinks are one; ``person_a`` has the smaller id."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        DISMISSED = "dismissed", _("Not duplicates")
        MERGED = "merged", _("Merged")

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    # Why they match: evidence codes such as "phone", "name", "national_id".
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-score", "-id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(person_a__lt=models.F("person_b")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-score", "-id"], name="duplicate_pair_queue"),
            models.Index(fields=["person_b"], name="duplicate_pair_person_b"),
        ]

    def __str__(self):
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.score:.2f})"

    @property
    def percent(self) -> int:
        return round(self.score * 100)


class DuplicateScan(models.Model):
    """One run of the duplicate scan over every live person, with what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # people, candidate_pairs, pairs_found, oversized_blocks, seconds
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class DuplicateScanKey(models.Model):
    """Scratch rows of a running scan: one person under one name key, with the evidence the
    name pass compares. The database sorts them, so the scan never holds a million names in
    memory; the rows are deleted when the scan ends."""

    scan = models.ForeignKey(DuplicateScan, on_delete=models.CASCADE, related_name="+")
    pass_number = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=310)
    person_id = models.BigIntegerField()
    national_id = models.CharField(max_length=10, blank=True)
    birthday = models.DateField(null=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.CharField(max_length=254, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    # No index on the sort order: one sort of the finished table is cheaper than keeping
    # an index in order through two million random inserts.


class Merge(models.Model):
    """One person merged into another, with everything ``undo_merge`` needs to reverse it."""

    survivor = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges")
    merged = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merged_into")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    # field → "survivor" | "other", as chosen
    choices = models.JSONField(default=dict)
    # The survivor's merge fields before and after, as JSON values.
    survivor_before = models.JSONField(default=dict)
    survivor_after = models.JSONField(default=dict)
    # [{"model": "app.model", "field": fk name, "pks": [...]}]: rows moved to the survivor.
    moved = models.JSONField(default=list)
    # [{"model", "pk", "reason"}]: rows left with the merged person (the survivor has them).
    skipped = models.JSONField(default=list)
    # [{"model", "pk", "before": {field: value}}]: survivor rows given the merged one's values.
    updated = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self):
        return f"{self.merged_id} → {self.survivor_id}"

    @property
    def moved_count(self) -> int:
        return sum(len(group["pks"]) for group in self.moved)
