"""Reading the lead pages' HTML forms into the plain dicts ``sales.leads`` and
``sales.scoring`` take. Validation is theirs; this only collects the inputs."""

# The inputs of the lead form, as the service names them.
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "email",
    "national_id",
    "province",
    "product_interest",
    "source",
    "status",
    "message",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
)
# What a visitor posts on the public form, with the attribution its hidden inputs carry.
PUBLIC_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "company",
    "message",
    "product_interest",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
)
HONEYPOT = "website"
# Query parameters the embed script passes to the form page.
ATTRIBUTION_PARAMS = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "referrer": "referrer",
    "page": "landing_page",
}


def read_lead(post) -> dict:
    data = {name: post.get(name, "") for name in LEAD_FIELDS}
    data["owner"] = post.get("owner", "")
    data["team"] = post.get("team", "")
    return data


def lead_initial(lead) -> dict:
    """The edit form's values from a stored lead."""
    data = {name: getattr(lead, name) for name in LEAD_FIELDS}
    data["province"] = str(lead.province_id or "")
    data["product_interest"] = str(lead.product_interest_id or "")
    data["owner"] = str(lead.owner_id)
    data["team"] = str(lead.team_id or "")
    return data


def read_public(post) -> dict:
    data = {name: post.get(name, "") for name in PUBLIC_FIELDS}
    data["honeypot"] = post.get(HONEYPOT, "")
    return data


def attribution(query) -> dict:
    """The host page's UTM parameters, referrer and URL, as the embed script passed them."""
    return {field: query.get(param, "")[:500] for param, field in ATTRIBUTION_PARAMS.items()}


def read_conversion(post) -> dict:
    return {
        "create_deal": bool(post.get("create_deal")),
        "deal": {
            "title": post.get("deal_title", ""),
            "amount": post.get("deal_amount", ""),
            "pipeline": post.get("deal_pipeline", ""),
            "expected_close": post.get("deal_expected_close", ""),
        },
    }


def read_web_form(post) -> dict:
    return {
        "name": post.get("name", ""),
        "team": post.get("team", ""),
        "default_owner": post.get("default_owner", ""),
        "source": post.get("source", ""),
        "success_message": post.get("success_message", ""),
        "allowed_origins": post.get("allowed_origins", ""),
        "is_active": bool(post.get("is_active")),
    }


def web_form_initial(form) -> dict:
    return {
        "name": form.name,
        "team": str(form.team_id),
        "default_owner": str(form.default_owner_id),
        "source": form.source,
        "success_message": form.success_message,
        "allowed_origins": "\n".join(form.allowed_origins),
        "is_active": form.is_active,
    }


def read_assignment_rule(post) -> dict:
    return {
        name: post.get(name, "")
        for name in ("name", "position", "province", "source", "product", "method", "team")
    } | {"assignee": post.get("assignee", ""), "is_active": bool(post.get("is_active"))}


def assignment_rule_initial(rule) -> dict:
    return {
        "name": rule.name,
        "position": str(rule.position),
        "province": str(rule.province_id or ""),
        "source": rule.source,
        "product": str(rule.product_id or ""),
        "method": rule.method,
        "team": str(rule.team_id),
        "assignee": str(rule.assignee_id or ""),
        "is_active": rule.is_active,
    }


def read_scoring_rule(post) -> dict:
    return {
        "label": post.get("label", ""),
        "attribute": post.get("attribute", ""),
        "value": post.get("value", ""),
        "points": post.get("points", ""),
        "is_active": bool(post.get("is_active")),
    }


def scoring_rule_initial(rule) -> dict:
    return {
        "label": rule.label,
        "attribute": rule.attribute,
        "value": rule.value,
        "points": str(rule.points),
        "is_active": rule.is_active,
    }
