"""API of the product catalogue, product categories and tax rules.

Everyone reads; admins and managers write products and categories; an admin sets tax
rules. Validation and rights live in ``sales.catalog``.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.schemas import Page, RecordId

from . import catalog
from .catalog_schemas import (
    CategoryIn,
    CategoryOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductQuery,
    TaxRuleIn,
    TaxRuleOut,
)
from .models import ProductCategory, TaxRule

router = Router(tags=["products"])


@router.get("/products", response=Page[ProductOut])
def list_products(request, params: Query[ProductQuery]):
    """The catalogue by name; `q` matches the name or the code."""
    items, next_cursor = catalog.products_page(request.GET, params.page_size)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/products", response={201: ProductOut})
def create_product(request, payload: ProductIn, response: HttpResponse):
    product = catalog.create_product(request.auth, payload.dict(exclude_unset=True))
    product = catalog.product_detail(product.pk)
    with_etag(response, product)
    response["Location"] = f"{request.path.rstrip('/')}/{product.pk}"
    return Status(201, product)


@router.get("/products/{id}", response=ProductOut)
def get_product(request, id: RecordId, response: HttpResponse):
    product = catalog.product_detail(id)
    with_etag(response, product)
    return product


def _expected_version(request, data: dict) -> int | None:
    version = data.pop("version", None)
    return version if version is not None else if_match_version(request)


@router.patch("/products/{id}", response=ProductOut)
def update_product(request, id: RecordId, payload: ProductPatch, response: HttpResponse):
    product = catalog.product_detail(id)
    check_if_match(request, product)
    data = payload.dict(exclude_unset=True)
    catalog.update_product(request.auth, product, data, _expected_version(request, data))
    product = catalog.product_detail(id)
    with_etag(response, product)
    return product


@router.post("/products/{id}/deactivate", response=ProductOut)
def deactivate_product(request, id: RecordId, response: HttpResponse):
    """Out of the catalogue for new quote and order lines; existing ones keep it."""
    product = catalog.product_detail(id)
    check_if_match(request, product)
    catalog.deactivate_product(request.auth, product, if_match_version(request))
    product = catalog.product_detail(id)
    with_etag(response, product)
    return product


@router.post("/products/{id}/image", response=ProductOut)
def upload_product_image(request, id: RecordId, response: HttpResponse, image: File[UploadedFile]):
    """A JPEG, PNG, WebP or GIF of at most 2 MB, sent as multipart field `image`."""
    product = catalog.product_detail(id)
    check_if_match(request, product)
    catalog.set_product_image(request.auth, product, image, if_match_version(request))
    product = catalog.product_detail(id)
    with_etag(response, product)
    return product


@router.get("/product-categories", response=Page[CategoryOut])
def list_categories(request):
    # A catalogue has a few dozen categories: one page holds them all.
    return {"items": ProductCategory.objects.all(), "next_cursor": None}


@router.post("/product-categories", response={201: CategoryOut})
def create_category(request, payload: CategoryIn):
    return Status(201, catalog.create_category(request.auth, payload.dict(exclude_unset=True)))


@router.patch("/product-categories/{id}", response=CategoryOut)
def update_category(request, id: RecordId, payload: CategoryIn):
    category = get_object_or_404(ProductCategory, pk=id)
    return catalog.update_category(request.auth, category, payload.dict(exclude_unset=True))


@router.get("/tax-rules", response=Page[TaxRuleOut])
def list_tax_rules(request):
    return {"items": TaxRule.objects.all(), "next_cursor": None}


@router.post("/tax-rules", response={201: TaxRuleOut})
def create_tax_rule(request, payload: TaxRuleIn):
    return Status(201, catalog.create_tax_rule(request.auth, payload.dict(exclude_unset=True)))


@router.patch("/tax-rules/{id}", response=TaxRuleOut)
def update_tax_rule(request, id: RecordId, payload: TaxRuleIn):
    rule = get_object_or_404(TaxRule, pk=id)
    return catalog.update_tax_rule(request.auth, rule, payload.dict(exclude_unset=True))
