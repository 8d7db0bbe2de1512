"""Leads, pipelines and deals, the product catalogue, quotes, orders, payments, follow-up
cadences and sales targets.

Money is whole Rials (``BigIntegerField``); tax rates are basis points (1000 = 10%), so
every total is exact integer arithmetic (``sales.pricing``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import BusinessRecord
from peyvand.customers.models import Source

# ---- leads --------------------------------------------------------------------------------


class WebForm(models.Model):
    """A lead form a site owner embeds; its public ``key`` names it in the snippet."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(max_length=32, unique=True, editable=False)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    # Who owns a lead when no assignment rule matches.
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.WEBSITE
    )
    success_message = models.CharField(_("thank-you message"), max_length=300, blank=True)
    # Sites allowed to post the form (origins such as https://shop.example.ir); empty: any.
    allowed_origins = models.JSONField(_("allowed sites"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self):
        return self.name


class Lead(BusinessRecord):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        CONVERTED = "converted", _("Converted")
        DISQUALIFIED = "disqualified", _("Disqualified")

    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150)
    company = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, db_index=True)
    national_id = models.CharField(_("national ID"), max_length=10, blank=True)
    province = models.ForeignKey(
        "iranian_cities.Province",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    message = models.TextField(_("message"), blank=True)
    product_interest = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product of interest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.NEW, db_index=True
    )
    disqualify_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Attribution: where the lead came from, as the site reported it.
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    web_form = models.ForeignKey(
        WebForm,
        verbose_name=_("web form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    utm_source = models.CharField("utm_source", max_length=100, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=100, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=100, blank=True, db_index=True)
    utm_term = models.CharField("utm_term", max_length=100, blank=True)
    utm_content = models.CharField("utm_content", max_length=100, blank=True)
    referrer = models.URLField(_("referring page"), max_length=500, blank=True)
    landing_page = models.URLField(_("landing page"), max_length=500, blank=True)
    # Scores, with the factors behind them: [{"label": ..., "points": ...}] and
    # [{"label": ..., "weight": ...}].
    score = models.IntegerField(_("score"), default=0, db_index=True)
    score_factors = models.JSONField(default=list, blank=True, editable=False)
    predicted_score = models.FloatField(_("predicted chance"), null=True, blank=True)
    predicted_factors = models.JSONField(default=list, blank=True, editable=False)
    # Set by conversion.
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    person = models.ForeignKey(
        "customers.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    organization = models.ForeignKey(
        "customers.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    search_text = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["owner", "team"], name="lead_owner_team"),
            models.Index(fields=["status", "-created_at"], name="lead_status_time"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    def timeline_subject(self):
        return self.person

    def audit_snapshot(self) -> dict:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "job_title": self.job_title,
            "phone": self.phone,
            "email": self.email,
            "national_id": self.national_id,
            "province": str(self.province) if self.province_id else None,
            "message": self.message,
            "product_interest": str(self.product_interest) if self.product_interest_id else None,
            "status": self.status,
            "disqualify_reason": self.disqualify_reason,
            "source": self.source,
            "utm_source": self.utm_source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
            "utm_term": self.utm_term,
            "utm_content": self.utm_content,
            "referrer": self.referrer,
            "landing_page": self.landing_page,
            "owner": str(self.owner) if self.owner_id else None,
            "team": str(self.team) if self.team_id else None,
            "person": str(self.person) if self.person_id else None,
            "organization": str(self.organization) if self.organization_id else None,
            "deal": str(self.deal) if self.deal_id else None,
        }


class AssignmentRule(models.Model):
    """Who gets a new lead: the first active rule (by position) whose conditions all hold.

    Empty conditions match anything. ``round_robin`` takes the team's active members in
    turn; otherwise the lead goes to ``assignee``.
    """

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin within the team")
        USER = "user", _("A named user")

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    province = models.ForeignKey(
        "iranian_cities.Province",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product of interest"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    method = models.CharField(
        _("method"), max_length=15, choices=Method.choices, default=Method.ROUND_ROBIN
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The member who got the previous lead of this rule (round-robin's pointer).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self):
        return self.name


class ScoringRule(models.Model):
    """Points a lead earns when one of its attributes or behaviours matches; managers edit
    these, and every lead shows which rules gave it its score."""

    class Attribute(models.TextChoices):
        SOURCE = "source", _("Source")
        PROVINCE = "province", _("Province")
        PRODUCT = "product", _("Product of interest")
        UTM_SOURCE = "utm_source", "utm_source"
        UTM_MEDIUM = "utm_medium", "utm_medium"
        UTM_CAMPAIGN = "utm_campaign", "utm_campaign"
        HAS_EMAIL = "has_email", _("Has an e-mail")
        HAS_PHONE = "has_phone", _("Has a phone")
        HAS_COMPANY = "has_company", _("Has a company")
        JOB_TITLE = "job_title", _("Job title contains")
        MESSAGE = "message", _("Message contains")
        ACTIVITIES = "activities", _("Logged activities, at least")

    label = models.CharField(_("label"), max_length=100)
    attribute = models.CharField(_("attribute"), max_length=20, choices=Attribute.choices)
    # The value compared (a code, a province id, a product id, a word or a number);
    # empty for the yes/no attributes.
    value = models.CharField(_("value"), max_length=100, blank=True)
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["attribute", "id"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self):
        return self.label


class LeadScoreModel(models.Model):
    """A predictive model learned from leads whose deals were won or lost, with how well it
    did on the part of the history held out from training."""

    trained_at = models.DateTimeField(default=timezone.now)
    samples = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    # None when there was too little history to learn from; ``note`` says why.
    auc = models.FloatField(null=True, blank=True)
    holdout_size = models.PositiveIntegerField(default=0)
    # Feature name → weight, and the intercept, of a logistic regression.
    weights = models.JSONField(default=dict, blank=True)
    intercept = models.FloatField(default=0.0)
    is_usable = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]


# ---- pipelines and deals ------------------------------------------------------------------


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self):
        return self.name


class Stage(models.Model):
    """An open step of a pipeline; won and lost are a deal's status, not stages."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), default=10)
    # Days without activity after which a deal in this stage is flagged; empty: never.
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after (days)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability")
        ]

    def __str__(self):
        return self.name


class LostReason(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")

    def __str__(self):
        return self.name


class Competitor(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    website = models.URLField(_("website"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")

    def __str__(self):
        return self.name


class Deal(BusinessRecord):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=200)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    amount = models.BigIntegerField(_("amount (Rials)"), default=0)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    lost_note = models.TextField(_("notes on the loss"), blank=True)
    person = models.ForeignKey(
        "customers.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    organization = models.ForeignKey(
        "customers.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    competitors = models.ManyToManyField(
        Competitor, verbose_name=_("competitors"), blank=True, related_name="deals"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    # Order of the card within its kanban column (smaller first).
    board_position = models.FloatField(default=0, editable=False)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    # The latest activity logged on the deal (or its creation): rotting is measured from it.
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)
    search_text = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["owner", "team"], name="deal_owner_team"),
            # The board: open deals of a pipeline, column by column, in card order.
            models.Index(
                fields=["pipeline", "status", "stage", "board_position"], name="deal_board"
            ),
            models.Index(fields=["status", "expected_close"], name="deal_forecast"),
            models.Index(fields=["status", "closed_at"], name="deal_closed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="lost") | Q(lost_reason__isnull=False),
                name="deal_lost_has_reason",
            ),
        ]

    def __str__(self):
        return self.title

    def timeline_subject(self):
        return self.person or self.organization

    def audit_snapshot(self) -> dict:
        return {
            "title": self.title,
            "pipeline": str(self.pipeline) if self.pipeline_id else None,
            "stage": str(self.stage) if self.stage_id else None,
            "amount": self.amount,
            "expected_close": self.expected_close.isoformat() if self.expected_close else None,
            "status": self.status,
            "lost_reason": str(self.lost_reason) if self.lost_reason_id else None,
            "lost_note": self.lost_note,
            "person": str(self.person) if self.person_id else None,
            "organization": str(self.organization) if self.organization_id else None,
            "source": self.source,
            "owner": str(self.owner) if self.owner_id else None,
            "team": str(self.team) if self.team_id else None,
            "competitors": ", ".join(sorted(c.name for c in self.competitors.all()))
            if self.pk
            else "",
            "products": ", ".join(
                f"{line.product} × {line.quantity}"
                for line in self.product_lines.select_related("product")
            )
            if self.pk
            else "",
        }

    @classmethod
    def audit_labels(cls) -> dict:
        return {"competitors": _("competitors"), "products": _("products")}


class DealProduct(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="product_lines")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.BigIntegerField(_("unit price (Rials)"))

    class Meta:
        ordering = ["id"]


class StageChange(models.Model):
    """A deal entering a stage (or closing); time in a stage is the gap to the next row."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The deal's status after the change (open, won or lost).
    status = models.CharField(max_length=8, choices=Deal.Status.choices, default="open")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["deal", "at", "id"]
        indexes = [models.Index(fields=["deal", "at"], name="stage_change_deal")]


# ---- products -----------------------------------------------------------------------------


class TaxRule(models.Model):
    """A value-added tax rate set by the admin, in basis points (1000 = 10%)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    rate_bp = models.PositiveIntegerField(_("rate (basis points)"))
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tax rule")
        verbose_name_plural = _("tax rules")
        constraints = [models.CheckConstraint(condition=Q(rate_bp__lte=10000), name="tax_rate")]

    def __str__(self):
        return self.name


class ProductCategory(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self):
        return self.name


class Product(models.Model):
    """The shared catalogue: every user sees it; admins and managers edit it."""

    class Unit(models.TextChoices):
        PIECE = "piece", _("Piece")
        BOX = "box", _("Box")
        KG = "kg", _("Kilogram")
        METER = "meter", _("Metre")
        LITER = "liter", _("Litre")
        HOUR = "hour", _("Hour")
        MONTH = "month", _("Month")
        SERVICE = "service", _("Service")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    price = models.BigIntegerField(_("price (Rials)"))
    tax_rule = models.ForeignKey(
        TaxRule,
        verbose_name=_("tax rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="products/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    name_key = models.CharField(max_length=210, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")
        ]

    def __str__(self):
        return self.name


# ---- quotes and orders --------------------------------------------------------------------


class SellerProfile(models.Model):
    """The selling company as its quotes print it; one row, edited by an administrator."""

    name = models.CharField(_("company name"), max_length=200, blank=True)
    national_id = models.CharField(_("national ID"), max_length=11, blank=True)
    economic_code = models.CharField(_("economic code"), max_length=12, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seller profile")

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "SellerProfile":
        return cls.objects.order_by("pk").first() or cls()


class DocumentSequence(models.Model):
    """The last number given to a quote or an order in one Jalali year."""

    kind = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="document_sequence_unique")
        ]


class PricedDocument(BusinessRecord):
    """What quotes and orders share: the customer, a document-level discount and the totals
    that ``sales.pricing`` computes from the lines (stored, so lists never recompute)."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    person = models.ForeignKey(
        "customers.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    organization = models.ForeignKey(
        "customers.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    # A discount on the whole document, after line discounts and before tax.
    discount = models.BigIntegerField(_("discount (Rials)"), default=0)
    subtotal = models.BigIntegerField(_("subtotal"), default=0, editable=False)
    discount_total = models.BigIntegerField(_("discounts"), default=0, editable=False)
    tax_total = models.BigIntegerField(_("value-added tax"), default=0, editable=False)
    total = models.BigIntegerField(_("total"), default=0, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.number

    def timeline_subject(self):
        return self.person or self.organization


class Quote(PricedDocument):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [models.Index(fields=["owner", "team"], name="quote_owner_team")]

    def audit_snapshot(self) -> dict:
        return {
            "status": self.status,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "discount": self.discount,
            "total": self.total,
            "notes": self.notes,
            "person": str(self.person) if self.person_id else None,
            "organization": str(self.organization) if self.organization_id else None,
            "deal": str(self.deal) if self.deal_id else None,
            "owner": str(self.owner) if self.owner_id else None,
            "lines": " | ".join(line.summary() for line in self.lines.all()) if self.pk else "",
        }

    @classmethod
    def audit_labels(cls) -> dict:
        return {"lines": _("lines")}


class Order(PricedDocument):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        QUOTE = "quote", _("From a quote")
        SHOP = "shop", _("Online shop")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="new")
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices, default="manual")
    quote = models.OneToOneField(
        Quote,
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order",
    )
    # The shop's own order id: a second push of the same id finds this order.
    shop_order_id = models.CharField(_("shop order id"), max_length=100, blank=True)
    ordered_at = models.DateTimeField(_("ordered"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # Payments received minus refunds, kept with the payments.
    paid_total = models.BigIntegerField(_("paid"), default=0, editable=False)
    refunded_total = models.BigIntegerField(_("refunded"), default=0, editable=False)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["owner", "team"], name="order_owner_team")]
        constraints = [
            models.UniqueConstraint(
                fields=["shop_order_id"],
                condition=~Q(shop_order_id=""),
                name="order_shop_order_id",
            )
        ]

    @property
    def balance(self) -> int:
        return self.total - self.refunded_total - self.paid_total

    def audit_snapshot(self) -> dict:
        return {
            "status": self.status,
            "origin": self.origin,
            "shop_order_id": self.shop_order_id,
            "ordered_at": self.ordered_at.isoformat() if self.ordered_at else None,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "discount": self.discount,
            "total": self.total,
            "paid_total": self.paid_total,
            "refunded_total": self.refunded_total,
            "notes": self.notes,
            "person": str(self.person) if self.person_id else None,
            "organization": str(self.organization) if self.organization_id else None,
            "owner": str(self.owner) if self.owner_id else None,
            "lines": " | ".join(line.summary() for line in self.lines.all()) if self.pk else "",
            "payments": " | ".join(p.summary() for p in self.payments.all()) if self.pk else "",
            "returns": " | ".join(r.summary() for r in self.returns.all()) if self.pk else "",
        }

    @classmethod
    def audit_labels(cls) -> dict:
        return {"lines": _("lines"), "payments": _("payments"), "returns": _("returns")}


class DocumentLine(models.Model):
    """One line of a quote or an order; its amounts are computed by ``sales.pricing``."""

    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=10, choices=Product.Unit.choices, default="piece")
    unit_price = models.BigIntegerField(_("unit price (Rials)"))
    # Line discount: a percentage in basis points, or an amount in Rials (one of them).
    discount_bp = models.PositiveIntegerField(_("discount (basis points)"), default=0)
    discount_amount = models.BigIntegerField(_("discount (Rials)"), default=0)
    tax_rate_bp = models.PositiveIntegerField(_("tax rate (basis points)"), default=0)
    gross = models.BigIntegerField(default=0, editable=False)
    net = models.BigIntegerField(default=0, editable=False)
    tax = models.BigIntegerField(default=0, editable=False)
    total = models.BigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def summary(self) -> str:
        return f"{self.description} × {self.quantity:g} @ {self.unit_price}"


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")


class OrderLine(DocumentLine):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        TRANSFER = "transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        INSTALMENT = "instalment", _("Instalment")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PENDING = "pending", _("Pending")
        BOUNCED = "bounced", _("Bounced")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    amount = models.BigIntegerField(_("amount (Rials)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    # When it was received, or (cheques, instalments) when it falls due.
    received_on = models.DateField(_("received on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    reference = models.CharField(_("reference / cheque number"), max_length=100, blank=True)
    bank = models.CharField(_("bank"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "received_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def summary(self) -> str:
        when = self.received_on or self.due_on
        parts = [self.method, str(self.amount), self.status, when.isoformat() if when else ""]
        return " ".join(p for p in (*parts, self.bank, self.reference) if p)


class OrderReturn(models.Model):
    """Goods sent back on one order line, and the Rials refunded for them."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="returns")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    refund = models.BigIntegerField(_("refund (Rials)"))
    reason = models.CharField(_("reason"), max_length=300)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")

    def summary(self) -> str:
        return f"{self.line.description} × {self.quantity:g} → {self.refund}"


# ---- follow-up cadences and targets -------------------------------------------------------


class Cadence(models.Model):
    """Follow-ups created when a deal enters a stage or an order is delivered."""

    class Trigger(models.TextChoices):
        STAGE_ENTERED = "stage_entered", _("A deal enters a stage")
        ORDER_DELIVERED = "order_delivered", _("An order is delivered")

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("when"), max_length=20, choices=Trigger.choices)
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cadences",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("cadence")
        verbose_name_plural = _("cadences")
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="stage_entered") | Q(stage__isnull=False),
                name="cadence_stage_trigger_has_stage",
            )
        ]

    def __str__(self):
        return self.name


class CadenceStep(models.Model):
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    after_days = models.PositiveSmallIntegerField(_("after (days)"))
    subject = models.CharField(_("subject"), max_length=200)
    priority = models.CharField(_("priority"), max_length=10, default="normal")

    class Meta:
        ordering = ["cadence", "after_days", "position", "id"]


class SalesTarget(models.Model):
    """A manager's target for one Jalali month, for one owner or one team (exactly one)."""

    year = models.PositiveSmallIntegerField(_("Jalali year"))
    month = models.PositiveSmallIntegerField(_("Jalali month"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    amount = models.BigIntegerField(_("target (Rials)"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "month", "id"]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="target_one_owner",
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="target_month"),
            models.UniqueConstraint(fields=["year", "month", "user"], name="target_user_month"),
            models.UniqueConstraint(fields=["year", "month", "team"], name="target_team_month"),
        ]
