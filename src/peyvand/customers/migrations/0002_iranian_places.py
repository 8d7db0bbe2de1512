"""Load Iran's provinces, counties, districts and cities from django-iranian-cities' data."""

import csv
from pathlib import Path

import iranian_cities.data
from django.db import migrations

DATA = Path(iranian_cities.data.__file__).parent
# (model, csv file, foreign keys given as ids in the file)
TABLES = [
    ("Province", "province.csv", []),
    ("County", "county.csv", ["province"]),
    ("District", "district.csv", ["province", "county"]),
    ("City", "city.csv", ["province", "county", "district"]),
]


def load(apps, schema_editor):
    for model_name, filename, keys in TABLES:
        model = apps.get_model("iranian_cities", model_name)
        if model.objects.exists():
            continue
        with open(DATA / filename, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        objects = []
        for row in rows:
            fields = {"id": int(row["id"]), "name": row["name"].strip(), "code": int(row["code"])}
            fields.update({f"{key}_id": int(row[key]) for key in keys})
            if "city_type" in row:
                fields["city_type"] = int(row["city_type"])
            objects.append(model(**fields))
        model.objects.bulk_create(objects, batch_size=200)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("iranian_cities", "0009_rename_iranian_cit_code_1c3b38_idx_sage_city_code_8db749_idx_and_more"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
