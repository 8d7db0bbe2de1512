"""The product catalogue, its categories and tax rules, and the seller's profile.

The catalogue is shared: every user reads it, admins and managers change products and
categories, only an admin sets tax rates and the seller profile that quotes print.
Products carry a version, so a stale edit is refused rather than overwriting.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from peyvand.core import records, validation
from peyvand.core.identifiers import normalize_economic_code, normalize_legal_id
from peyvand.core.pagination import keyset_page
from peyvand.core.persian import sort_key, to_ascii_digits
from peyvand.core.validation import FieldErrors, choice, percent_bp, rials, text

from .models import Product, ProductCategory, SellerProfile, TaxRule

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


# ---- permissions ------------------------------------------------------------------------


def can_edit_catalog(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_admin or user.is_manager))


def require_catalog_write(user) -> None:
    if not can_edit_catalog(user):
        raise PermissionDenied(_("Only a manager or an administrator may change the catalogue."))


def require_admin(user) -> None:
    if not (user and user.is_authenticated and user.is_admin):
        raise PermissionDenied(_("Only an administrator may change this setting."))


# ---- reads ------------------------------------------------------------------------------


def visible_products():
    """Every product: the catalogue is shared by all users."""
    return Product.objects.select_related("category", "tax_rule")


def active_products():
    return visible_products().filter(is_active=True)


def default_tax_rule() -> TaxRule | None:
    return TaxRule.objects.filter(is_default=True).order_by("pk").first()


def product_detail(pk) -> Product:
    return get_object_or_404(visible_products(), pk=pk)


def _whole_number(value, field: str) -> int:
    raw = to_ascii_digits(str(value)).strip()
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({field: [_("Enter a whole number.")]})
    return int(raw)


def filter_products(queryset, params):
    """``q`` (name or code), ``category`` (id) and ``active`` (``1``/``0``; empty: all)."""
    query = text(params.get("q"), max_length=200)
    if query:
        queryset = queryset.filter(
            Q(name_key__contains=sort_key(query)) | Q(code__icontains=to_ascii_digits(query))
        )
    if params.get("category"):
        queryset = queryset.filter(category_id=_whole_number(params["category"], "category"))
    active = params.get("active")
    if active in ("1", "true"):
        queryset = queryset.filter(is_active=True)
    elif active in ("0", "false"):
        queryset = queryset.filter(is_active=False)
    elif active:
        raise ValidationError({"active": [_("Choose one of the listed options.")]})
    return queryset


def products_page(params, limit: int):
    return keyset_page(
        filter_products(visible_products(), params), "name_key", False, params.get("cursor"), limit
    )


# ---- products ---------------------------------------------------------------------------


def _code(value) -> str:
    code = to_ascii_digits(text(value, max_length=50, required=True))
    if any(ch.isspace() for ch in code):
        raise ValidationError(_("A code has no spaces."))
    return code


def _category(value) -> ProductCategory | None:
    if value in (None, ""):
        return None
    category = ProductCategory.objects.filter(pk=_id_or_none(value)).first()
    if category is None:
        raise ValidationError(_("There is no such category."))
    return category


def _tax_rule(value) -> TaxRule | None:
    if value in (None, ""):
        return None
    rule = TaxRule.objects.filter(pk=_id_or_none(value)).first()
    if rule is None:
        raise ValidationError(_("There is no such tax rule."))
    return rule


def _id_or_none(value) -> int | None:
    raw = to_ascii_digits(str(value)).strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "on", "yes"):
        return True
    if str(value).strip().lower() in ("0", "false", "off", "no", ""):
        return False
    raise ValidationError(_("Answer yes or no."))


def _clean_product(data: dict, product: Product, unit: str) -> dict:
    errors = FieldErrors()
    creating = product.pk is None
    clean = {}
    if "code" in data or creating:
        clean["code"] = errors.check("code", lambda: _code(data.get("code")), "")
        taken = Product.objects.filter(code__iexact=clean["code"]).exclude(pk=product.pk)
        if clean["code"] and taken.exists():
            errors.add("code", _("Another product has this code."))
    if "name" in data or creating:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=200, required=True), ""
        )
    if "price" in data or creating:
        clean["price"] = errors.check(
            "price", lambda: rials(data.get("price"), required=True, unit=unit)
        )
    if "unit" in data:
        clean["unit"] = errors.check(
            "unit", lambda: choice(data["unit"], Product.Unit.values, required=True)
        )
    if "category" in data:
        clean["category"] = errors.check("category", lambda: _category(data["category"]))
    if "tax_rule" in data or creating:
        clean["tax_rule"] = errors.check("tax_rule", lambda: _tax_rule(data.get("tax_rule")))
        if creating and clean["tax_rule"] is None and "tax_rule" not in errors.errors:
            clean["tax_rule"] = default_tax_rule()
    if "description" in data:
        clean["description"] = errors.check("description", lambda: text(data["description"]), "")
    if "is_active" in data:
        clean["is_active"] = errors.check("is_active", lambda: _flag(data["is_active"]), True)
    errors.raise_if_any()
    return clean


def _apply_product(product: Product, clean: dict) -> Product:
    for field, value in clean.items():
        setattr(product, field, value)
    product.name_key = sort_key(product.name)[:210]
    return product


@transaction.atomic
def create_product(actor, data: dict, *, unit: str = "rial") -> Product:
    """A new product; ``price`` is in Rials (``unit="toman"`` for the form's Toman)."""
    require_catalog_write(actor)
    product = _apply_product(Product(), _clean_product(data, Product(), unit))
    product.save()
    return product


@transaction.atomic
def update_product(
    actor, product: Product, data: dict, expected_version: int | None = None, *, unit="rial"
) -> Product:
    require_catalog_write(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    records.check_version(product, expected_version)
    clean = _clean_product(data, product, unit)
    changed = {f: v for f, v in clean.items() if getattr(product, f) != v}
    if changed:
        _apply_product(product, changed)
        product.version += 1
        product.save()
    return product


def deactivate_product(actor, product: Product, expected_version: int | None = None) -> Product:
    """Out of the catalogue for new lines; quotes and orders that name it keep it."""
    return update_product(actor, product, {"is_active": False}, expected_version)


def _image_extension(upload) -> str:
    """The upload's file extension, after checking it really is a small image."""
    if upload is None:
        raise ValidationError({"image": [_("Choose an image file.")]})
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError({"image": [_("The image must be at most 2 MB.")]})
    try:
        upload.seek(0)
        with Image.open(upload) as picture:
            kind = picture.format
            picture.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError({"image": [_("This file is not an image.")]}) from None
    finally:
        upload.seek(0)
    if kind not in IMAGE_FORMATS:
        raise ValidationError({"image": [_("Upload a JPEG, PNG, WebP or GIF image.")]})
    return IMAGE_FORMATS[kind]


@transaction.atomic
def set_product_image(
    actor, product: Product, upload, expected_version: int | None = None
) -> Product:
    """Replace the product's image with ``upload`` (≤ 2 MB, a real JPEG/PNG/WebP/GIF)."""
    require_catalog_write(actor)
    extension = _image_extension(upload)
    product = Product.objects.select_for_update().get(pk=product.pk)
    records.check_version(product, expected_version)
    old = product.image.name
    # The stored name is ours: the client's file name never reaches the disk.
    product.image.save(f"{product.pk}.{extension}", upload, save=False)
    product.version += 1
    product.save()
    if old and old != product.image.name:
        product.image.storage.delete(old)
    return product


# ---- categories -------------------------------------------------------------------------


def _clean_category(data: dict, current: ProductCategory | None) -> dict:
    errors = FieldErrors()
    name = errors.check("name", lambda: text(data.get("name"), max_length=100, required=True), "")
    taken = ProductCategory.objects.filter(name__iexact=name)
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    if name and taken.exists():
        errors.add("name", _("A category with this name already exists."))
    errors.raise_if_any()
    return {"name": name}


def create_category(actor, data: dict) -> ProductCategory:
    require_catalog_write(actor)
    return ProductCategory.objects.create(**_clean_category(data, None))


def update_category(actor, category: ProductCategory, data: dict) -> ProductCategory:
    require_catalog_write(actor)
    category.name = _clean_category(data, category)["name"]
    category.save()
    return category


# ---- tax rules --------------------------------------------------------------------------


def _clean_tax_rule(data: dict, current: TaxRule | None) -> dict:
    errors = FieldErrors()
    clean = {}
    if "name" in data or current is None:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=100, required=True), ""
        )
        taken = TaxRule.objects.filter(name__iexact=clean["name"])
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if clean["name"] and taken.exists():
            errors.add("name", _("A tax rule with this name already exists."))
    if "rate_percent" in data or current is None:
        raw = data.get("rate_percent")
        if raw in (None, ""):
            errors.add("rate_percent", _("This field is required."))
        else:
            clean["rate_bp"] = errors.check("rate_percent", lambda: percent_bp(raw), 0)
    if "is_default" in data:
        clean["is_default"] = errors.check("is_default", lambda: _flag(data["is_default"]), False)
    errors.raise_if_any()
    return clean


def _save_tax_rule(rule: TaxRule, clean: dict) -> TaxRule:
    for field, value in clean.items():
        setattr(rule, field, value)
    rule.save()
    if rule.is_default:
        # One default: the rule new products and free-text lines are taxed by.
        TaxRule.objects.exclude(pk=rule.pk).filter(is_default=True).update(is_default=False)
    return rule


@transaction.atomic
def create_tax_rule(actor, data: dict) -> TaxRule:
    """A value-added tax rate; ``rate_percent`` as typed (``10``, ``۹``, ``12.5``)."""
    require_admin(actor)
    return _save_tax_rule(TaxRule(), _clean_tax_rule(data, None))


@transaction.atomic
def update_tax_rule(actor, rule: TaxRule, data: dict) -> TaxRule:
    """A new rate applies to lines priced from now on; saved quotes keep theirs."""
    require_admin(actor)
    return _save_tax_rule(rule, _clean_tax_rule(data, rule))


# ---- the seller profile -----------------------------------------------------------------

SELLER_FIELDS = (
    "name",
    "national_id",
    "economic_code",
    "registration_number",
    "address",
    "postal_code",
    "phone",
    "email",
)


def _digits(value, length: int, message: str) -> str:
    raw = to_ascii_digits(text(value, max_length=40)).replace("-", "").replace(" ", "")
    if raw and (not raw.isdigit() or len(raw) != length):
        raise ValidationError(message)
    return raw


def _clean_seller(data: dict) -> dict:
    errors = FieldErrors()
    cleaners = {
        "name": lambda v: text(v, max_length=200),
        "national_id": lambda v: normalize_legal_id(v) if v else "",
        "economic_code": lambda v: normalize_economic_code(v) if v else "",
        "registration_number": lambda v: to_ascii_digits(text(v, max_length=20)),
        "address": lambda v: text(v, max_length=300),
        "postal_code": lambda v: _digits(v, 10, _("A postal code has 10 digits.")),
        "phone": lambda v: to_ascii_digits(text(v, max_length=20)),
        "email": validation.email,
    }
    clean = {
        field: errors.check(field, lambda f=field, c=cleaner: c(data[f]), "")
        for field, cleaner in cleaners.items()
        if field in data
    }
    errors.raise_if_any()
    return clean


@transaction.atomic
def update_seller_profile(actor, data: dict) -> SellerProfile:
    """The selling company's details as quotes print them."""
    require_admin(actor)
    profile = SellerProfile.current()
    for field, value in _clean_seller(data).items():
        setattr(profile, field, value)
    profile.save()
    return profile
