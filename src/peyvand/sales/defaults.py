"""What a new installation starts with: VAT at 10%, a tax-exempt rule, the «فروش» pipeline
with four stages, and the common lost reasons. Persian first: they are data an admin renames.

Written by the data migration, and again by ``ensure_defaults`` wherever the rows may have
been flushed (transactional test databases)."""

STAGES = [
    ("سرنخ واجد شرایط", 10, 14),
    ("نیازسنجی", 25, 14),
    ("ارائه پیشنهاد", 50, 10),
    ("مذاکره", 75, 7),
]
LOST_REASONS = ["قیمت بالا", "انتخاب رقیب", "نبود نیاز", "بی‌پاسخ ماندن", "زمان نامناسب"]


def create_defaults(TaxRule, Pipeline, Stage, LostReason) -> None:  # noqa: N803 (model classes)
    """Takes the model classes so the migration can pass its historical models."""
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


def ensure_defaults() -> None:
    from .models import LostReason, Pipeline, Stage, TaxRule

    if not Pipeline.objects.exists() and not TaxRule.objects.exists():
        create_defaults(TaxRule, Pipeline, Stage, LostReason)
