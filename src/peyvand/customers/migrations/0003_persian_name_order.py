"""Names sort in Persian alphabetical order: binary collation and recomputed sort keys."""

from django.db import migrations

from peyvand.core.persian import sort_key

TABLES = ("customers_person", "customers_organization")


def binary_collation(apps, schema_editor):
    # PostgreSQL compares text by the database's locale (e.g. en_US), which would reorder
    # the sort key's code points; "C" compares bytewise like SQLite does by default.
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f'ALTER TABLE {table} ALTER COLUMN name_key TYPE varchar(310) COLLATE "C"'
        )


def recompute(apps, schema_editor):
    Person = apps.get_model("customers", "Person")
    Organization = apps.get_model("customers", "Organization")
    people = list(Person.objects.only("first_name", "last_name"))
    for person in people:
        person.name_key = sort_key(f"{person.last_name} {person.first_name}")[:310]
    Person.objects.bulk_update(people, ["name_key"], batch_size=500)
    organizations = list(Organization.objects.only("name"))
    for org in organizations:
        org.name_key = sort_key(org.name)[:310]
    Organization.objects.bulk_update(organizations, ["name_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_iranian_places")]
    operations = [
        migrations.RunPython(binary_collation, migrations.RunPython.noop),
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
