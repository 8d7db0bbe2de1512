from django.db import migrations

# Persian first: the starting pipeline, its stages and lost reasons are data an admin renames.
STAGES = [
    ("سرنخ واجد شرایط", 10, 14),
    ("نیازسنجی", 25, 14),
    ("ارائه پیشنهاد", 50, 10),
    ("مذاکره", 75, 7),
]
LOST_REASONS = ["قیمت بالا", "انتخاب رقیب", "نبود نیاز", "بی‌پاسخ ماندن", "زمان نامناسب"]


def create(apps, schema_editor):
    TaxRule = apps.get_model("sales", "TaxRule")
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    LostReason = apps.get_model("sales", "LostReason")
    TaxRule.objects.create(name="مالیات بر ارزش افزوده ۱۰٪", rate_bp=1000, is_default=True)
    TaxRule.objects.create(name="معاف از مالیات", rate_bp=0)
    pipeline = Pipeline.objects.create(name="فروش", position=0)
    for position, (name, probability, rotting) in enumerate(STAGES):
        Stage.objects.create(
            pipeline=pipeline,
            name=name,
            position=position,
            probability=probability,
            rotting_days=rotting,
        )
    for position, name in enumerate(LOST_REASONS):
        LostReason.objects.create(name=name, position=position)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
