"""Pages of the catalogue: products (list, form, image), categories, tax rules, and the
seller profile that quotes print.

Thin: read the form, call ``sales.catalog``, render. Everyone reads the catalogue;
the service refuses writes to anyone but managers and administrators.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.core import money
from peyvand.core.errors import StaleVersionError
from peyvand.customers.forms import parse_int, parse_version

from . import catalog, quote_forms
from .catalog import SELLER_FIELDS
from .models import Product, ProductCategory, SellerProfile, TaxRule


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@login_required
def product_list(request):
    params = request.GET
    errors = {}
    try:
        items, next_cursor = catalog.products_page(params, settings.PEYVAND["PAGE_SIZE"])
    except ValidationError as exc:
        items, next_cursor, errors = [], None, _errors(exc)
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "params": params,
        "filter_errors": errors,
        "categories": ProductCategory.objects.all(),
        "can_edit": catalog.can_edit_catalog(request.user),
    }
    return render(request, "sales/catalog/product_list.html", context)


def _product_form(request, product: Product | None):
    back = redirect("sales:product_list")
    if not catalog.can_edit_catalog(request.user):
        messages.error(request, _("Only a manager or an administrator may change the catalogue."))
        return back
    unit = money.display_unit()
    errors: dict = {}
    stale = False
    version = product.version if product else None
    data = quote_forms.product_values(product) if product else {"is_active": True}
    if request.method == "POST":
        data = quote_forms.read_product(request.POST)
        upload = request.FILES.get("image")
        try:
            if product is None:
                product = catalog.create_product(request.user, data, unit=unit)
            else:
                version = parse_version(request.POST.get("version"))
                product = catalog.update_product(request.user, product, data, version, unit=unit)
            if upload is not None:
                catalog.set_product_image(request.user, product, upload)
        except ValidationError as exc:
            errors = _errors(exc)
        except StaleVersionError:
            stale = True
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:product_edit", product.pk)
    context = {
        "product": product if product and product.pk else None,
        "data": data,
        "errors": errors,
        "other_errors": errors.get("__all__", []),
        "stale": stale,
        "stale_message": StaleVersionError.message,
        "version": version,
        "units": Product.Unit.choices,
        "categories": ProductCategory.objects.all(),
        "tax_rules": TaxRule.objects.all(),
        "money_unit": unit,
        "max_image_mb": catalog.MAX_IMAGE_BYTES // (1024 * 1024),
    }
    status = 422 if errors else (409 if stale else 200)
    return render(request, "sales/catalog/product_form.html", context, status=status)


@login_required
def product_create(request):
    return _product_form(request, None)


@login_required
def product_edit(request, pk):
    return _product_form(request, catalog.product_detail(pk))


@login_required
@require_POST
def product_deactivate(request, pk):
    product = catalog.product_detail(pk)
    try:
        catalog.deactivate_product(request.user, product)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The product is no longer offered on new quotes."))
    return redirect("sales:product_list")


@login_required
def category_list(request):
    errors: dict = {}
    if request.method == "POST":
        try:
            chosen = parse_int(request.POST.get("category"))
            if chosen:
                category = get_object_or_404(ProductCategory, pk=chosen)
                catalog.update_category(request.user, category, request.POST)
            else:
                catalog.create_category(request.user, request.POST)
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("sales:category_list")
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:category_list")
    context = {
        "categories": ProductCategory.objects.all(),
        "errors": errors,
        "can_edit": catalog.can_edit_catalog(request.user),
    }
    return render(
        request, "sales/catalog/category_list.html", context, status=422 if errors else 200
    )


@login_required
def tax_rule_list(request):
    errors: dict = {}
    posted: dict = {}
    if request.method == "POST":
        posted = {
            "name": request.POST.get("name", ""),
            "rate_percent": request.POST.get("rate_percent", ""),
            "is_default": bool(request.POST.get("is_default")),
        }
        try:
            if request.POST.get("rule"):
                rule = get_object_or_404(TaxRule, pk=parse_int(request.POST["rule"]))
                catalog.update_tax_rule(request.user, rule, posted)
            else:
                catalog.create_tax_rule(request.user, posted)
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("sales:tax_rule_list")
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:tax_rule_list")
    context = {
        "rules": [(r, quote_forms.percent(r.rate_bp) or "0") for r in TaxRule.objects.all()],
        "errors": errors,
        "posted": posted,
        "can_edit": request.user.is_admin,
    }
    return render(request, "sales/catalog/tax_rules.html", context, status=422 if errors else 200)


@login_required
def seller_profile(request):
    catalog.require_admin(request.user)
    profile = SellerProfile.current()
    data = {field: getattr(profile, field) for field in SELLER_FIELDS}
    errors: dict = {}
    if request.method == "POST":
        data = {field: request.POST.get(field, "") for field in SELLER_FIELDS}
        try:
            catalog.update_seller_profile(request.user, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:seller_profile")
    return render(
        request,
        "sales/catalog/seller_profile.html",
        {"data": data, "errors": errors},
        status=422 if errors else 200,
    )
