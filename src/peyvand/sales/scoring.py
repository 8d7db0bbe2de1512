"""Lead scores: a transparent rule score and a predictive score, each with its factors.

Rule score: the sum of the points of every active ``ScoringRule`` the lead matches, kept
with the rules that gave them (``score_factors`` = [{"label", "points"}]). Recomputed on
every save of a lead and, in bulk, for every open lead when the rules change.

Predictive score: a logistic regression (scikit-learn) learned from leads whose deal was
won or lost, on one-hot features (source, utm_source/medium, province, product of
interest), has e-mail/phone/company and the rule score. A quarter of that history is
held out (stratified, fixed seed) and the model's AUC on it is stored with the model.
With too little history, or a model not clearly better than chance on the held-out part
(the AUC's 95% confidence interval reaches 0.5), the
model is stored as not usable and no lead gets a predicted score: the pages say why
instead of guessing. ``predicted_factors`` are the features that pushed a lead's score
most (weight × value), as [{"feature", "weight"}], labelled when shown.
"""

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from iranian_cities.models import Province

from peyvand.activities.models import Activity
from peyvand.core.persian import search_key, to_ascii_digits
from peyvand.core.validation import FieldErrors, choice, text
from peyvand.customers.models import Source

from .models import Deal, Lead, LeadScoreModel, Product, ScoringRule

Attribute = ScoringRule.Attribute
OPEN_STATUSES = (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED)
YES_NO = {Attribute.HAS_EMAIL, Attribute.HAS_PHONE, Attribute.HAS_COMPANY}
MAX_POINTS = 1000
# Leads rescored per query when rules or the model change.
CHUNK = 2000

# The least history worth learning from: closed leads in all, and of each outcome.
MIN_SAMPLES = 40
MIN_PER_CLASS = 10
HOLDOUT = 0.25
RANDOM_STATE = 0
# A model is used only when its held-out AUC is above chance (0.5) with this confidence.
CONFIDENCE_Z = 1.96
# How many features a lead's page shows as the reasons for its predicted score.
TOP_FACTORS = 3


def require_manager(actor) -> None:
    """Lead settings (scoring and assignment rules, web forms) are managers' and admins'."""
    if not (actor and actor.is_authenticated and (actor.is_admin or actor.is_manager)):
        raise PermissionDenied(_("Only a manager or an administrator may change these settings."))


# ---- rule score ----------------------------------------------------------------------------


def _contains(haystack: str, needle: str) -> bool:
    return bool(needle) and search_key(needle) in search_key(haystack)


def _matches(rule: ScoringRule, lead: Lead, activities: int) -> bool:
    value = rule.value
    match rule.attribute:
        case Attribute.SOURCE:
            return lead.source == value
        case Attribute.PROVINCE:
            return str(lead.province_id) == value
        case Attribute.PRODUCT:
            return str(lead.product_interest_id) == value
        case Attribute.UTM_SOURCE | Attribute.UTM_MEDIUM | Attribute.UTM_CAMPAIGN:
            return bool(value) and search_key(getattr(lead, rule.attribute)) == search_key(value)
        case Attribute.HAS_EMAIL:
            return bool(lead.email)
        case Attribute.HAS_PHONE:
            return bool(lead.phone)
        case Attribute.HAS_COMPANY:
            return bool(lead.company)
        case Attribute.JOB_TITLE:
            return _contains(lead.job_title, value)
        case Attribute.MESSAGE:
            return _contains(lead.message, value)
        case Attribute.ACTIVITIES:
            return activities >= int(value or 0)
    return False


def rule_score(lead: Lead, rules, activities: int = 0) -> tuple[int, list[dict]]:
    """The lead's points under ``rules`` and the rules that gave them."""
    factors = [
        {"label": rule.label, "points": rule.points}
        for rule in rules
        if _matches(rule, lead, activities)
    ]
    return sum(f["points"] for f in factors), factors


def active_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).order_by("attribute", "id"))


def _counts_activities(rules) -> bool:
    return any(rule.attribute == Attribute.ACTIVITIES for rule in rules)


def _activity_counts(leads) -> dict[int, int]:
    """Activities logged on each lead's person or deal (a lead has none of its own)."""
    people = {lead.person_id for lead in leads if lead.person_id}
    deals = {lead.deal_id for lead in leads if lead.deal_id}
    if not people and not deals:
        return {}
    by_person, by_deal = {}, {}
    rows = Activity.objects.filter(person_id__in=people) | Activity.objects.filter(
        deal_id__in=deals
    )
    for person_id, deal_id in rows.values_list("person_id", "deal_id"):
        if person_id in people:
            by_person[person_id] = by_person.get(person_id, 0) + 1
        if deal_id in deals:
            by_deal[deal_id] = by_deal.get(deal_id, 0) + 1
    return {
        lead.pk: max(by_person.get(lead.person_id, 0), by_deal.get(lead.deal_id, 0))
        for lead in leads
    }


# ---- predictive score ----------------------------------------------------------------------


# The lead fields ``features`` reads.
FEATURE_FIELDS = (
    "email",
    "phone",
    "company",
    "score",
    "source",
    "utm_source",
    "utm_medium",
    "province_id",
    "product_interest_id",
)


def features(lead: Lead) -> dict[str, float]:
    """The model's inputs: one-hot categories, yes/no flags and the rule score."""
    values = {
        "has_email": float(bool(lead.email)),
        "has_phone": float(bool(lead.phone)),
        "has_company": float(bool(lead.company)),
        "rule_score": lead.score / 100,
    }
    for name, value in (
        ("source", lead.source),
        ("utm_source", search_key(lead.utm_source)),
        ("utm_medium", search_key(lead.utm_medium)),
        ("province", lead.province_id),
        ("product", lead.product_interest_id),
    ):
        if value:
            values[f"{name}={value}"] = 1.0
    return values


def predict(model: LeadScoreModel, lead: Lead) -> tuple[float, list[dict]]:
    """The chance (0..1) the model gives the lead and the features that moved it most."""
    contributions = {
        name: model.weights[name] * value
        for name, value in features(lead).items()
        if value and name in model.weights
    }
    z = model.intercept + sum(contributions.values())
    probability = 1 / (1 + math.exp(-max(-500.0, min(500.0, z))))
    strongest = sorted(contributions.items(), key=lambda item: (-abs(item[1]), item[0]))
    factors = [
        {"feature": name, "weight": round(weight, 3)}
        for name, weight in strongest[:TOP_FACTORS]
        if abs(weight) >= 0.01
    ]
    return probability, factors


def latest_model() -> LeadScoreModel | None:
    return LeadScoreModel.objects.order_by("-trained_at", "-id").first()


def usable_model() -> LeadScoreModel | None:
    model = latest_model()
    return model if model is not None and model.is_usable else None


def _closed_history():
    """Leads whose deal ended, and whether it was won."""
    leads = (
        Lead.objects.filter(deal__status__in=[Deal.Status.WON, Deal.Status.LOST])
        .select_related("deal")
        .only(*FEATURE_FIELDS, "deal__status")
        .order_by("pk")
    )
    rows = list(leads)
    return rows, [lead.deal.status == Deal.Status.WON for lead in rows]


def describe(model: LeadScoreModel | None) -> str:
    """What the model can and cannot do, in the reader's language."""
    if model is None:
        return _("No model has been trained yet.")
    won, lost = model.won, model.samples - model.won
    if model.auc is None:
        return _(
            "Not enough history yet (%(won)d won / %(lost)d lost): at least %(total)d closed "
            "leads with %(each)d of each outcome are needed."
        ) % {"won": won, "lost": lost, "total": MIN_SAMPLES, "each": MIN_PER_CLASS}
    if not model.is_usable:
        return _(
            "The model did not do clearly better than chance on held-out leads (AUC "
            "%(auc).2f, %(won)d won / %(lost)d lost), so it is not used yet."
        ) % {"auc": model.auc, "won": won, "lost": lost}
    return _(
        "Learned from %(won)d won and %(lost)d lost leads; AUC on %(holdout)d held-out "
        "leads: %(auc).2f."
    ) % {"won": won, "lost": lost, "holdout": model.holdout_size, "auc": model.auc}


def auc_lower_bound(auc: float, positives: int, negatives: int) -> float:
    """The lower end of the AUC's 95% confidence interval (Hanley & McNeil, 1982): a
    small held-out set cannot tell a lucky guess from a real signal."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    return auc - CONFIDENCE_Z * math.sqrt(max(variance, 0.0))


def _fit(rows, outcomes) -> dict:
    """Fit on three quarters of the history and measure the AUC on the rest."""
    # scikit-learn takes a second to import: only training needs it, not every request.
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    vectorizer = DictVectorizer(sparse=False)
    matrix = vectorizer.fit_transform([features(lead) for lead in rows])
    x_train, x_test, y_train, y_test = train_test_split(
        matrix, outcomes, test_size=HOLDOUT, stratify=outcomes, random_state=RANDOM_STATE
    )
    regression = LogisticRegression(max_iter=2000).fit(x_train, y_train)
    auc = float(roc_auc_score(y_test, regression.predict_proba(x_test)[:, 1]))
    positives = sum(y_test)
    weights = dict(zip(vectorizer.feature_names_, map(float, regression.coef_[0]), strict=True))
    return {
        "auc": auc,
        "holdout_size": len(y_test),
        "weights": weights,
        "intercept": float(regression.intercept_[0]),
        "is_usable": auc_lower_bound(auc, positives, len(y_test) - positives) > 0.5,
    }


@transaction.atomic
def train() -> LeadScoreModel:
    """Learn a new model from the won/lost history, store it, and rescore open leads."""
    rows, outcomes = _closed_history()
    won = sum(outcomes)
    enough = len(rows) >= MIN_SAMPLES and min(won, len(rows) - won) >= MIN_PER_CLASS
    fitted = _fit(rows, outcomes) if enough else {"is_usable": False}
    model = LeadScoreModel(samples=len(rows), won=won, **fitted)
    with translation.override(settings.LANGUAGE_CODE):
        model.note = describe(model)[:300]
    model.save()
    rescore_open_leads()
    return model


def retrain(actor) -> LeadScoreModel:
    """A manager's "train now" (the worker also trains every night)."""
    require_manager(actor)
    return train()


# ---- applying ------------------------------------------------------------------------------


def _score(lead: Lead, rules, model, activities: int) -> None:
    lead.score, lead.score_factors = rule_score(lead, rules, activities)
    if model is None:
        lead.predicted_score, lead.predicted_factors = None, []
    else:
        lead.predicted_score, lead.predicted_factors = predict(model, lead)


def refresh(lead: Lead) -> None:
    """Set the lead's rule score and predicted score (unsaved) from the current rules and
    model. A converted or disqualified lead keeps the predicted score it had."""
    rules = active_rules()
    activities = _activity_counts([lead]).get(lead.pk, 0) if _counts_activities(rules) else 0
    if lead.status in OPEN_STATUSES:
        _score(lead, rules, usable_model(), activities)
    else:
        lead.score, lead.score_factors = rule_score(lead, rules, activities)


SCORE_FIELDS = ["score", "score_factors", "predicted_score", "predicted_factors"]


def rescore_open_leads() -> int:
    """Recompute both scores of every open lead, a chunk at a time; returns how many
    changed. Only changed rows are written, and ``updated_at`` is left alone (a new rule
    is not an edit of the lead)."""
    rules, model = active_rules(), usable_model()
    with_activities = _counts_activities(rules)
    last_pk, changed = 0, 0
    while True:
        chunk = list(
            Lead.objects.filter(status__in=OPEN_STATUSES, pk__gt=last_pk).order_by("pk")[:CHUNK]
        )
        if not chunk:
            return changed
        counts = _activity_counts(chunk) if with_activities else {}
        dirty = []
        for lead in chunk:
            before = [getattr(lead, field) for field in SCORE_FIELDS]
            _score(lead, rules, model, counts.get(lead.pk, 0))
            if [getattr(lead, field) for field in SCORE_FIELDS] != before:
                dirty.append(lead)
        Lead.objects.bulk_update(dirty, SCORE_FIELDS, batch_size=500)
        changed += len(dirty)
        last_pk = chunk[-1].pk


# ---- labels --------------------------------------------------------------------------------


def feature_label(feature: str, names: dict | None = None) -> str:
    """A model feature as a reader knows it: «منبع: وب‌سایت», «دارای ایمیل»."""
    flags = {
        "has_email": Attribute.HAS_EMAIL.label,
        "has_phone": Attribute.HAS_PHONE.label,
        "has_company": Attribute.HAS_COMPANY.label,
        "rule_score": _("Rule score"),
    }
    if feature in flags:
        return str(flags[feature])
    name, _sep, value = feature.partition("=")
    names = names or {}
    if name == "source":
        label = Source(value).label if value in Source.values else value
        return f"{Attribute.SOURCE.label}: {label}"
    if name == "province":
        return f"{Attribute.PROVINCE.label}: {names.get(feature, value)}"
    if name == "product":
        return f"{Attribute.PRODUCT.label}: {names.get(feature, value)}"
    return f"{name}: {value}"


def _factor_names(factor_lists) -> dict[str, str]:
    """Names of the provinces and products the factors name (two queries at most)."""
    ids = {"province": set(), "product": set()}
    for factors in factor_lists:
        for factor in factors:
            name, _sep, value = factor["feature"].partition("=")
            if name in ids and value.isdigit():
                ids[name].add(int(value))
    names = {}
    for model, kind in ((Province, "province"), (Product, "product")):
        if ids[kind]:
            for pk, name in model.objects.filter(pk__in=ids[kind]).values_list("pk", "name"):
                names[f"{kind}={pk}"] = name
    return names


def label_predictions(leads) -> None:
    """Give each lead ``predicted_reasons``: its predicted factors with their labels in
    the reader's language, for a whole page at once."""
    names = _factor_names(lead.predicted_factors for lead in leads)
    for lead in leads:
        lead.predicted_reasons = [
            {**factor, "label": feature_label(factor["feature"], names)}
            for factor in lead.predicted_factors
        ]


# ---- rules ---------------------------------------------------------------------------------


def _value(attribute: str, raw) -> str:
    """The compared value a rule of ``attribute`` stores, checked against what it names."""
    value = text(raw, max_length=100)
    if attribute in YES_NO:
        return ""
    if not value:
        raise ValidationError(_("This field is required."))
    if attribute == Attribute.SOURCE:
        return choice(value, Source.values, required=True)
    if attribute in (Attribute.PROVINCE, Attribute.PRODUCT, Attribute.ACTIVITIES):
        number = to_ascii_digits(value)
        if not number.isdigit():
            raise ValidationError(_("Enter a whole number."))
        model = {Attribute.PROVINCE: Province, Attribute.PRODUCT: Product}.get(attribute)
        if model is not None and not model.objects.filter(pk=int(number)).exists():
            raise ValidationError(_("Choose one from the list."))
        return str(int(number))
    return value


def _points(raw) -> int:
    number = to_ascii_digits(str(raw if raw is not None else "")).strip()
    if not number.lstrip("-").isdigit() or number.count("-") > 1:
        raise ValidationError(_("Enter a whole number of points, e.g. 10 or -5."))
    points = int(number)
    if abs(points) > MAX_POINTS:
        raise ValidationError(_("Points are between -%(max)d and %(max)d.") % {"max": MAX_POINTS})
    return points


def _clean_rule(data: dict, rule: ScoringRule) -> dict:
    errors = FieldErrors()
    creating = rule.pk is None
    clean = {}
    if "label" in data or creating:
        clean["label"] = errors.check(
            "label", lambda: text(data.get("label"), max_length=100, required=True)
        )
    if "attribute" in data or creating:
        clean["attribute"] = errors.check(
            "attribute", lambda: choice(data.get("attribute"), Attribute.values, required=True)
        )
    attribute = clean.get("attribute") or rule.attribute
    if attribute and ("value" in data or "attribute" in data or creating):
        clean["value"] = errors.check("value", lambda: _value(attribute, data.get("value")))
    if "points" in data or creating:
        clean["points"] = errors.check("points", lambda: _points(data.get("points")))
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    errors.raise_if_any()
    return clean


def _save_rule(actor, rule: ScoringRule, data: dict) -> ScoringRule:
    require_manager(actor)
    for field, value in _clean_rule(data, rule).items():
        setattr(rule, field, value)
    rule.save()
    rescore_open_leads()
    return rule


@transaction.atomic
def create_rule(actor, data: dict) -> ScoringRule:
    return _save_rule(actor, ScoringRule(), data)


@transaction.atomic
def update_rule(actor, rule: ScoringRule, data: dict) -> ScoringRule:
    return _save_rule(actor, rule, data)


@transaction.atomic
def delete_rule(actor, rule: ScoringRule) -> None:
    require_manager(actor)
    rule.delete()
    rescore_open_leads()
