from django.db import migrations

from peyvand.core.calendar import calendar_rows


def fill(apps, schema_editor):
    JalaliDay = apps.get_model("core", "JalaliDay")
    JalaliDay.objects.bulk_create(calendar_rows(JalaliDay), batch_size=900)


def empty(apps, schema_editor):
    apps.get_model("core", "JalaliDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_jalaliday_outboxmessage")]

    operations = [migrations.RunPython(fill, empty)]
