"""Lead scores: the rule score and its factors, rescoring in bulk, and the predictive model
evaluated on held-out history (acceptance 4)."""

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from peyvand.activities.services import create_activity
from peyvand.sales import leads, scoring
from peyvand.sales.models import Deal, Lead, LeadScoreModel, LostReason, Pipeline, ScoringRule
from tests.sales import leads_fixtures
from tests.sales.leads_fixtures import ISFAHAN, TEHRAN

# The shared lead fixtures, made available to this module's tests.
make_lead = leads_fixtures.make_lead
product = leads_fixtures.product


def rule(manager, attribute, points, value="", label=None):
    return scoring.create_rule(
        manager,
        {
            "label": label or f"{attribute} {value}",
            "attribute": attribute,
            "value": value,
            "points": points,
        },
    )


# ---- the rule score ------------------------------------------------------------------------


def test_the_score_is_the_sum_of_matching_rules_with_its_factors(manager, agent, product):
    rule(manager, "source", 20, "website", "از سایت")
    rule(manager, "province", 15, str(TEHRAN), "تهران")
    rule(manager, "product", 30, str(product.pk), "محصول اصلی")
    rule(manager, "utm_medium", 5, "CPC", "تبلیغ کلیکی")
    rule(manager, "has_email", 10, label="ایمیل دارد")
    rule(manager, "has_company", -5, label="شرکت دارد")
    rule(manager, "job_title", 25, "مدير", "مدیر")
    rule(manager, "message", 8, "قیمت", "قیمت پرسیده")
    lead = leads.create_lead(
        agent,
        {
            "last_name": "امیری",
            "source": "website",
            "province": TEHRAN,
            "product_interest": product.pk,
            "utm_medium": "cpc",
            "email": "a@example.ir",
            "job_title": "مدیر فروش",
            "message": "لطفا قیمت را بفرستید",
        },
    )
    assert lead.score == 20 + 15 + 30 + 5 + 10 + 25 + 8
    assert {f["label"]: f["points"] for f in lead.score_factors} == {
        "از سایت": 20,
        "تهران": 15,
        "محصول اصلی": 30,
        "تبلیغ کلیکی": 5,
        "ایمیل دارد": 10,
        "مدیر": 25,
        "قیمت پرسیده": 8,
    }
    leads.update_lead(agent, lead, {"province": ISFAHAN, "company": "شرکت"})
    lead.refresh_from_db()
    assert lead.score == 20 + 30 + 5 + 10 + 25 + 8 - 5


def test_activities_count_once_the_lead_has_a_person(manager, agent):
    rule(manager, "activities", 12, "2", "دو فعالیت")
    lead = leads.create_lead(agent, {"last_name": "فعال", "phone": "09121110000"})
    person, _org, _deal = leads.convert_lead(agent, lead, {"create_deal": False})
    for subject in ("تماس", "جلسه"):
        create_activity(agent, {"kind": "note", "subject": subject, "person": person.pk})
    leads.update_lead(agent, Lead.objects.get(pk=lead.pk), {"job_title": "x"})
    assert Lead.objects.get(pk=lead.pk).score == 12


def test_rules_changes_rescore_open_leads_only(manager, agent, make_lead):
    open_lead = make_lead(agent, source="referral")
    closed = make_lead(agent, source="referral")
    leads.disqualify_lead(agent, closed, "تکراری")
    updated_at = Lead.objects.get(pk=open_lead.pk).updated_at
    referral = rule(manager, "source", 40, "referral")
    assert Lead.objects.get(pk=open_lead.pk).score == 40
    assert Lead.objects.get(pk=closed.pk).score == 0
    scoring.update_rule(manager, referral, {"points": "۲۵"})
    assert Lead.objects.get(pk=open_lead.pk).score == 25
    scoring.update_rule(manager, referral, {"is_active": False})
    assert Lead.objects.get(pk=open_lead.pk).score == 0
    scoring.update_rule(manager, referral, {"is_active": True})
    scoring.delete_rule(manager, referral)
    refreshed = Lead.objects.get(pk=open_lead.pk)
    assert (refreshed.score, refreshed.score_factors) == (0, [])
    # A new rule is not an edit of the lead: its version and time stay.
    assert (refreshed.version, refreshed.updated_at) == (1, updated_at)


def test_rescoring_costs_the_same_queries_for_few_or_many_leads(manager, agent):
    def make(n):
        Lead.objects.bulk_create(
            Lead(last_name=f"ل{i}", owner=agent, source="website") for i in range(n)
        )

    def queries_of_rescoring(points):
        ScoringRule.objects.update(points=points)
        with CaptureQueriesContext(connection) as captured:
            scoring.rescore_open_leads()
        return len(captured)

    rule(manager, "source", 10, "website")
    make(5)
    few = queries_of_rescoring(11)
    make(60)
    assert queries_of_rescoring(12) == few
    assert set(Lead.objects.values_list("score", flat=True)) == {12}


def test_rule_input_is_checked(manager, agent):
    bad = {"label": "", "attribute": "shoe_size", "points": "many"}
    with pytest.raises(ValidationError) as caught:
        scoring.create_rule(manager, bad)
    assert set(caught.value.message_dict) == {"label", "attribute", "points"}
    for attribute, value in (("province", "999"), ("source", "pigeon"), ("activities", "x")):
        with pytest.raises(ValidationError) as caught:
            scoring.create_rule(
                manager, {"label": "x", "attribute": attribute, "value": value, "points": 1}
            )
        assert "value" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        scoring.create_rule(manager, {"label": "x", "attribute": "has_email", "points": 5000})
    assert "points" in caught.value.message_dict
    assert not ScoringRule.objects.exists()
    with pytest.raises(PermissionDenied):
        scoring.create_rule(agent, {"label": "x", "attribute": "has_email", "points": 1})


# ---- the predictive score ------------------------------------------------------------------


SOURCES = ["website", "referral", "exhibition", "social"]
# How much each attribute moves the log-odds of winning in the synthetic world.
TRUE_EFFECTS = {"referral": 1.6, "exhibition": 0.6, "website": -0.2, "social": -1.2}


def synthetic_history(owner, n: int, seed: int = 7) -> tuple[int, int]:
    """``n`` converted leads whose deals were won or lost, the outcome drawn from a
    logistic model of their source, e-mail, company and province, plus noise."""
    rng = np.random.default_rng(seed)
    leads_fixtures.ensure_provinces()
    pipeline = Pipeline.objects.first()
    stage = pipeline.stages.first()
    reason = LostReason.objects.first()
    rows = []
    for i in range(n):
        source = SOURCES[rng.integers(len(SOURCES))]
        has_email, has_company = rng.random() < 0.5, rng.random() < 0.4
        province = TEHRAN if rng.random() < 0.5 else ISFAHAN
        logit = (
            -0.3
            + TRUE_EFFECTS[source]
            + 1.1 * has_email
            + 0.8 * has_company
            + 0.5 * (province == TEHRAN)
            + rng.normal(0, 0.5)
        )
        won = rng.random() < 1 / (1 + np.exp(-logit))
        rows.append((i, source, has_email, has_company, province, won))
    deals = Deal.objects.bulk_create(
        Deal(
            title=f"معامله {i}",
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            status="won" if won else "lost",
            lost_reason=None if won else reason,
        )
        for i, *_rest, won in rows
    )
    Lead.objects.bulk_create(
        Lead(
            last_name=f"سابقه {i}",
            owner=owner,
            source=source,
            email=f"h{i}@example.ir" if has_email else "",
            company="شرکت" if has_company else "",
            province_id=province,
            status="converted",
            deal=deal,
        )
        for (i, source, has_email, has_company, province, _won), deal in zip(
            rows, deals, strict=True
        )
    )
    won = sum(row[-1] for row in rows)
    return won, n - won


def test_the_model_beats_chance_on_held_out_leads_and_scores_open_ones(
    manager, agent, record_property
):
    won, lost = synthetic_history(agent, 600)
    likely = leads.create_lead(
        agent,
        {
            "last_name": "محتمل",
            "source": "referral",
            "email": "x@example.ir",
            "company": "ش",
            "province": TEHRAN,
        },
    )
    unlikely = leads.create_lead(
        agent, {"last_name": "بعید", "source": "social", "province": ISFAHAN}
    )
    model = scoring.retrain(manager)
    auc = model.auc
    # Shown in the "reported figures" section at the end of every test run (tests/conftest.py).
    record_property(
        "figure: lead score AUC on held-out",
        f"{auc:.3f} (n={model.samples}, won={won}, lost={lost}, held out={model.holdout_size})",
    )
    assert model.is_usable
    assert (model.samples, model.won, model.holdout_size) == (600, won, 150)
    assert auc > 0.7, f"lead score AUC on held-out: {auc:.3f} (n={model.samples})"
    likely.refresh_from_db()
    unlikely.refresh_from_db()
    assert likely.predicted_score > 0.7 > 0.3 > unlikely.predicted_score
    assert likely.predicted_factors[0]["feature"] in {"source=referral", "has_email"}
    assert likely.predicted_factors[0]["weight"] > 0
    assert unlikely.predicted_factors[0] == {
        "feature": "source=social",
        "weight": pytest.approx(model.weights["source=social"], abs=1e-3),
    }
    # New leads are scored by the stored model as they arrive.
    arriving = leads.create_lead(agent, {"last_name": "تازه", "source": "referral"})
    assert arriving.predicted_score is not None
    scoring.label_predictions([arriving])
    with override("en"):
        scoring.label_predictions([likely])
    assert (
        "Source" in likely.predicted_reasons[0]["label"]
        or "e-mail" in (likely.predicted_reasons[0]["label"])
    )


def test_training_is_reproducible(manager, agent):
    synthetic_history(agent, 200, seed=3)
    first, second = scoring.train(), scoring.train()
    assert first.auc == second.auc and first.weights == second.weights


def test_too_little_history_says_so_instead_of_guessing(manager, agent):
    won, lost = synthetic_history(agent, 30, seed=1)
    lead = leads.create_lead(agent, {"last_name": "منتظر", "source": "referral"})
    model = scoring.retrain(manager)
    assert (model.is_usable, model.auc, model.samples, model.won) == (False, None, 30, won)
    with override("en"):
        note = scoring.describe(model)
    assert f"{won} won / {lost} lost" in note
    assert model.note  # stored in the site's language for the record
    lead.refresh_from_db()
    assert (lead.predicted_score, lead.predicted_factors) == (None, [])


def test_one_outcome_too_rare_is_too_little_history(manager, agent):
    synthetic_history(agent, 60, seed=1)
    Deal.objects.update(status="won", lost_reason=None)
    model = scoring.train()
    assert not model.is_usable and model.auc is None
    assert LeadScoreModel.objects.count() == 1


def test_a_model_no_clearly_better_than_chance_is_not_used(manager, agent):
    """Outcomes drawn independently of the features: whatever AUC the held-out part shows
    by luck, its confidence interval reaches 0.5, and the model is not used."""
    synthetic_history(agent, 200, seed=5)
    lost_reason = LostReason.objects.first()
    outcomes = np.random.default_rng(11).random(200) < 0.5
    for deal, won in zip(Deal.objects.order_by("pk"), outcomes, strict=True):
        deal.status, deal.lost_reason = ("won", None) if won else ("lost", lost_reason)
        deal.save(update_fields=["status", "lost_reason"])
    lead = leads.create_lead(agent, {"last_name": "x", "source": "referral"})
    model = scoring.train()
    assert model.auc is not None and not model.is_usable
    lead.refresh_from_db()
    assert lead.predicted_score is None
    with override("en"):
        assert f"AUC {model.auc:.2f}" in scoring.describe(model)


def test_the_auc_interval_narrows_with_more_held_out_leads():
    assert scoring.auc_lower_bound(0.57, 25, 25) < 0.5 < scoring.auc_lower_bound(0.57, 900, 900)
    assert scoring.auc_lower_bound(0.78, 99, 51) == pytest.approx(0.70, abs=0.02)


def test_only_managers_train(agent):
    with pytest.raises(PermissionDenied):
        scoring.retrain(agent)
