"""The catalogue API: products, categories and tax rules, with roles, versions and bad input."""

import io

from django.test import Client
from PIL import Image

from peyvand.accounts import services as accounts
from peyvand.sales.models import Product, TaxRule

XSS = "<script>alert(1)</script>"


def test_product_round_trip(api_as, manager, agent):
    api = api_as(manager)
    category = api.post("/api/v1/product-categories", {"name": "رایانه"}).json()
    created = api.post(
        "/api/v1/products",
        {
            "code": "LP-۱",
            "name": "لپ‌تاپ",
            "category": category["id"],
            "unit": "piece",
            "price": 25_000_000,
            "description": XSS,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"' and created["Location"].endswith(f"/products/{body['id']}")
    assert (body["code"], body["price"], body["tax_rate_percent"]) == ("LP-1", 25_000_000, 10.0)
    assert body["category"] == {"id": category["id"], "name": "رایانه"}
    assert body["description"] == XSS  # JSON carries text as typed; pages escape it

    reader = api_as(agent)
    assert reader.get(f"/api/v1/products/{body['id']}").json() == body
    listed = reader.get("/api/v1/products?q=لپ").json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]

    patched = api.patch(f"/api/v1/products/{body['id']}", {"price": "۲۶۰۰۰۰۰۰", "version": 1})
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    assert patched.json()["price"] == 26_000_000
    stale = api.patch(f"/api/v1/products/{body['id']}", {"price": 1}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    conflict = api.patch(f"/api/v1/products/{body['id']}", {"price": 1, "version": 1})
    assert conflict.status_code == 409

    off = api.post(f"/api/v1/products/{body['id']}/deactivate")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert reader.get("/api/v1/products?active=1").json()["items"] == []


def test_agents_and_viewers_only_read(api_as, agent, viewer, manager):
    product = Product.objects.create(code="P", name="کالا", price=1)
    for user in (agent, viewer):
        api = api_as(user)
        assert (
            api.post("/api/v1/products", {"code": "X", "name": "x", "price": 1}).status_code == 403
        )
        assert api.patch(f"/api/v1/products/{product.pk}", {"price": 5}).status_code == 403
        assert api.post(f"/api/v1/products/{product.pk}/deactivate").status_code == 403
        assert api.post("/api/v1/product-categories", {"name": "x"}).status_code == 403
        assert api.post("/api/v1/tax-rules", {"name": "x", "rate_percent": 9}).status_code == 403
        assert api.get("/api/v1/tax-rules").status_code == 200
    assert (
        api_as(manager).post("/api/v1/tax-rules", {"name": "x", "rate_percent": 9}).status_code
        == 403
    )
    product.refresh_from_db()
    assert (product.price, product.is_active) == (1, True)


def test_bad_input_answers_every_field(api_as, manager):
    api = api_as(manager)
    response = api.post(
        "/api/v1/products", {"code": "", "name": "x" * 300, "price": -5, "unit": "ton"}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"code", "name", "price", "unit"}
    wrong_type = api.post("/api/v1/products", {"code": "A", "name": "x", "price": [1]})
    assert wrong_type.status_code == 422
    assert api.get("/api/v1/products/999999").status_code == 404
    assert api.get("/api/v1/products?category=abc").status_code == 422
    assert not Product.objects.exists()


def test_tax_rules_by_the_admin(api_as, admin):
    api = api_as(admin)
    created = api.post("/api/v1/tax-rules", {"name": "۹٪", "rate_percent": "۹", "is_default": True})
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "name": "۹٪",
        "rate_percent": 9.0,
        "is_default": True,
    }
    rules = api.get("/api/v1/tax-rules").json()["items"]
    assert [r["name"] for r in rules if r["is_default"]] == ["۹٪"]
    bad = api.patch(f"/api/v1/tax-rules/{created.json()['id']}", {"rate_percent": "150"})
    assert bad.status_code == 422 and "rate_percent" in bad.json()["error"]["fields"]
    assert TaxRule.objects.get(pk=created.json()["id"]).rate_bp == 900


def test_image_upload(api_as, manager):
    product = Product.objects.create(code="P", name="کالا", price=1)
    _token, token = accounts.create_token(manager, "upload")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    ok = client.post(f"/api/v1/products/{product.pk}/image", {"image": buffer})
    assert ok.status_code == 200, ok.content
    assert ok.json()["image"].endswith(f"products/{product.pk}.jpg")
    fake = io.BytesIO(b"GIF89a but not really")
    fake.name = "x.gif"
    refused = client.post(f"/api/v1/products/{product.pk}/image", {"image": fake})
    assert refused.status_code == 422 and "image" in refused.json()["error"]["fields"]
