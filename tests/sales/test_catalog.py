"""The catalogue through the service and its pages: products, images, categories, tax
rules and the seller profile."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from peyvand.core.errors import StaleVersionError
from peyvand.sales import catalog
from peyvand.sales.models import Product, ProductCategory, SellerProfile, TaxRule

XSS = "<script>alert(1)</script>"


def png(size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile("عکس.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def category(manager):
    return catalog.create_category(manager, {"name": "رایانه"})


def test_manager_creates_a_product_with_the_default_tax(manager, category):
    product = catalog.create_product(
        manager,
        {
            "code": "LP-۱۰۰",
            "name": "لپ‌تاپ ایسوس",
            "category": category.pk,
            "unit": "piece",
            "price": "۲۵٬۰۰۰٬۰۰۰",
            "description": XSS,
        },
    )
    assert (product.code, product.price, product.version) == ("LP-100", 25_000_000, 1)
    assert product.tax_rule == TaxRule.objects.get(is_default=True)
    assert product.tax_rule.rate_bp == 1000
    assert product.description == XSS
    assert catalog.active_products().get() == product


def test_prices_typed_in_toman_are_stored_in_rials(manager):
    product = catalog.create_product(
        manager, {"code": "A", "name": "کالا", "price": "1,250,000"}, unit="toman"
    )
    assert product.price == 12_500_000


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "بی‌کد", "price": "1"}, "code"),
        ({"code": "دو کلمه", "name": "x", "price": "1"}, "code"),
        ({"code": "X1", "price": "1"}, "name"),
        ({"code": "X1", "name": "x" * 201, "price": "1"}, "name"),
        ({"code": "X1", "name": "x"}, "price"),
        ({"code": "X1", "name": "x", "price": "-10"}, "price"),
        ({"code": "X1", "name": "x", "price": "ده هزار"}, "price"),
        ({"code": "X1", "name": "x", "price": str(10**16)}, "price"),
        ({"code": "X1", "name": "x", "price": "1", "unit": "barrel"}, "unit"),
        ({"code": "X1", "name": "x", "price": "1", "category": 999}, "category"),
        ({"code": "X1", "name": "x", "price": "1", "tax_rule": "abc"}, "tax_rule"),
        ({"code": "X1", "name": "x", "price": "1", "is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_products_are_refused_by_field(manager, data, field):
    with pytest.raises(ValidationError) as caught:
        catalog.create_product(manager, data)
    assert field in caught.value.message_dict
    assert not Product.objects.exists()


def test_codes_are_unique_whatever_the_case(manager):
    catalog.create_product(manager, {"code": "lp-1", "name": "x", "price": 1})
    with pytest.raises(ValidationError) as caught:
        catalog.create_product(manager, {"code": "LP-1", "name": "y", "price": 1})
    assert "code" in caught.value.message_dict


def test_only_managers_and_admins_write_the_catalogue(agent, viewer, admin, manager):
    for user in (agent, viewer):
        with pytest.raises(PermissionDenied):
            catalog.create_product(user, {"code": "X", "name": "x", "price": 1})
        with pytest.raises(PermissionDenied):
            catalog.create_category(user, {"name": "دسته"})
    assert catalog.create_product(admin, {"code": "X", "name": "x", "price": 1}).pk
    with pytest.raises(PermissionDenied):
        catalog.create_tax_rule(manager, {"name": "۹٪", "rate_percent": "9"})


def test_edits_are_versioned(manager):
    product = catalog.create_product(manager, {"code": "X", "name": "x", "price": 1})
    catalog.update_product(manager, product, {"price": "2"}, expected_version=1)
    with pytest.raises(StaleVersionError):
        catalog.update_product(manager, product, {"price": "3"}, expected_version=1)
    product.refresh_from_db()
    assert (product.price, product.version) == (2, 2)
    catalog.update_product(manager, product, {"price": "2"}, expected_version=2)
    product.refresh_from_db()
    assert product.version == 2  # nothing changed, nothing bumped
    catalog.deactivate_product(manager, product)
    product.refresh_from_db()
    assert not product.is_active and not catalog.active_products().exists()


def test_images_must_be_small_real_images(manager, settings):
    product = catalog.create_product(manager, {"code": "X", "name": "x", "price": 1})
    catalog.set_product_image(manager, product, png())
    product.refresh_from_db()
    assert product.image.name == f"products/{product.pk}.png"  # never the client's name
    assert (settings.MEDIA_ROOT / product.image.name).exists()
    bad = [
        SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png"),
        SimpleUploadedFile("a.svg", b"<svg onload=alert(1)></svg>", content_type="image/svg+xml"),
        SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024), "image/png"),
    ]
    for upload in bad:
        with pytest.raises(ValidationError) as caught:
            catalog.set_product_image(manager, product, upload)
        assert "image" in caught.value.message_dict
    product.refresh_from_db()
    assert product.image.name == f"products/{product.pk}.png"


def test_list_filters(manager, category):
    laptop = catalog.create_product(
        manager, {"code": "LP-1", "name": "لپ‌تاپ", "price": 1, "category": category.pk}
    )
    mouse = catalog.create_product(manager, {"code": "MS-1", "name": "ماوس", "price": 1})
    catalog.deactivate_product(manager, mouse)

    def names(params):
        return [p.name for p in catalog.products_page(params, 25)[0]]

    assert names({"q": "لپ"}) == ["لپ‌تاپ"]
    assert names({"q": "ms-"}) == ["ماوس"]
    assert names({"category": str(category.pk)}) == ["لپ‌تاپ"]
    assert names({"active": "0"}) == ["ماوس"]
    assert names({"active": "1"}) == [laptop.name]
    for params in ({"category": "abc"}, {"active": "maybe"}):
        with pytest.raises(ValidationError):
            names(params)


def test_one_default_tax_rule(admin):
    nine = catalog.create_tax_rule(admin, {"name": "۹٪", "rate_percent": "۹", "is_default": True})
    assert nine.rate_bp == 900
    assert list(TaxRule.objects.filter(is_default=True)) == [nine]
    assert catalog.default_tax_rule() == nine
    for data in ({"name": "x", "rate_percent": "101"}, {"name": "x", "rate_percent": ""}):
        with pytest.raises(ValidationError) as caught:
            catalog.create_tax_rule(admin, data)
        assert "rate_percent" in caught.value.message_dict
    catalog.update_tax_rule(admin, nine, {"rate_percent": "12.5"})
    nine.refresh_from_db()
    assert nine.rate_bp == 1250


def test_seller_profile(admin, manager):
    with pytest.raises(PermissionDenied):
        catalog.update_seller_profile(manager, {"name": "x"})
    with pytest.raises(ValidationError) as caught:
        catalog.update_seller_profile(
            admin, {"national_id": "123", "economic_code": "abc", "email": "no", "postal_code": "1"}
        )
    assert set(caught.value.message_dict) == {
        "national_id",
        "economic_code",
        "email",
        "postal_code",
    }
    catalog.update_seller_profile(
        admin, {"name": "شرکت پیوند", "national_id": "۱۰۱۰۱۰۱۰۱۰۳", "postal_code": "۱۲۳۴۵۶۷۸۹۰"}
    )
    profile = SellerProfile.current()
    assert (profile.name, profile.national_id, profile.postal_code) == (
        "شرکت پیوند",
        "10101010103",
        "1234567890",
    )
    assert SellerProfile.objects.count() == 1


# ---- pages ------------------------------------------------------------------------------


def test_product_pages(web_as, manager, agent, category):
    client = web_as(manager)
    response = client.post(
        "/sales/products/new/",
        {
            "code": "LP-1",
            "name": XSS,
            "category": category.pk,
            "unit": "piece",
            "price": "۲٬۵۰۰٬۰۰۰",
            "tax_rule": "",
            "is_active": "1",
            "image": png(),
        },
    )
    product = Product.objects.get()
    assert response.status_code == 302
    assert product.price == 25_000_000  # typed in Toman
    assert product.image.name.endswith(".png")

    page = web_as(agent).get("/sales/products/?q=LP")
    body = page.content.decode()
    assert page.status_code == 200 and "&lt;script&gt;" in body and XSS not in body
    assert "۲٬۵۰۰٬۰۰۰" in body or "۲,۵۰۰,۰۰۰" in body

    # An agent reads but may not open the form; garbage comes back with its field marked.
    assert web_as(agent).get("/sales/products/new/").status_code == 302
    response = client.post(
        f"/sales/products/{product.pk}/edit/",
        {"code": "", "name": "x", "price": "abc", "unit": "piece", "version": product.version},
    )
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode()
    stale = client.post(
        f"/sales/products/{product.pk}/edit/",
        {"code": "LP-1", "name": "x", "price": "1", "unit": "piece", "version": "0"},
    )
    assert stale.status_code == 409 and 'id="stale-version"' in stale.content.decode()
    product.refresh_from_db()
    assert product.name == XSS


def test_settings_pages_are_for_their_roles(web_as, admin, manager, agent):
    assert web_as(agent).get("/sales/seller-profile/").status_code == 403
    response = web_as(admin).post("/sales/seller-profile/", {"name": "شرکت پیوند"})
    assert response.status_code == 302 and SellerProfile.current().name == "شرکت پیوند"
    response = web_as(admin).post("/sales/tax-rules/", {"name": "۹٪", "rate_percent": "۹"})
    assert response.status_code == 302 and TaxRule.objects.filter(rate_bp=900).exists()
    bad = web_as(admin).post("/sales/tax-rules/", {"name": "y", "rate_percent": "x"})
    assert bad.status_code == 422
    web_as(manager).post("/sales/tax-rules/", {"name": "z", "rate_percent": "1"})
    assert not TaxRule.objects.filter(name="z").exists()
    response = web_as(manager).post("/sales/product-categories/", {"name": "لوازم"})
    assert response.status_code == 302 and ProductCategory.objects.filter(name="لوازم").exists()
    web_as(agent).post("/sales/product-categories/", {"name": "نه"})
    assert not ProductCategory.objects.filter(name="نه").exists()
