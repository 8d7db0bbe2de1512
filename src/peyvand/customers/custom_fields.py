"""Validating values of admin-defined custom fields; stored in the record's ``custom`` JSON."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.core import jalali
from peyvand.core.persian import to_ascii_digits
from peyvand.core.validation import FieldErrors, text

from .models import CustomFieldDefinition

FT = CustomFieldDefinition.FieldType
_TRUE = {"1", "true", "yes", "on", "بله"}
_FALSE = {"0", "false", "no", "off", "خیر", ""}


def definitions(entity: str):
    return CustomFieldDefinition.objects.filter(entity=entity, is_active=True)


def _number(value):
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."))
    if isinstance(value, int | float):
        return value
    try:
        number = Decimal(to_ascii_digits(str(value)).replace(",", "").replace("٬", "").strip())
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) > Decimal("1e15"):
        raise ValidationError(_("Enter a number."))
    return int(number) if number == number.to_integral_value() else float(number)


def _date(value):
    try:
        return jalali.parse_date(str(value)).isoformat()
    except jalali.JalaliInputError as exc:
        raise ValidationError(str(exc)) from None


def _boolean(value):
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValidationError(_("Answer yes or no."))


def _one_choice(value, options):
    value = str(value)
    if value not in options:
        raise ValidationError(_("Choose one of the listed options."))
    return value


def _many_choices(value, options):
    values = value if isinstance(value, list | tuple) else [value]
    values = [str(v) for v in values if str(v)]
    bad = [v for v in values if v not in options]
    if bad:
        raise ValidationError(_("Choose only listed options."))
    return values


def clean_value(definition: CustomFieldDefinition, value):
    """The stored form of one value: str, int/float, ISO date, bool or list of str."""
    if value is None or value == "" or value == []:
        if definition.required:
            raise ValidationError(_("This field is required."))
        return None
    cleaners = {
        FT.TEXT: lambda v: text(v, max_length=1000),
        FT.NUMBER: _number,
        FT.DATE: _date,
        FT.BOOLEAN: _boolean,
        FT.CHOICE: lambda v: _one_choice(v, definition.choices),
        FT.MULTICHOICE: lambda v: _many_choices(v, definition.choices),
    }
    return cleaners[definition.field_type](value)


def clean_custom(
    entity: str, raw, current: dict, errors: FieldErrors, *, partial: bool, known=None
) -> dict:
    """Merge ``raw`` into ``current`` after checking every value against its definition.

    ``known`` are the entity's active definitions when the caller has read them already.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.add("custom", _("Expected an object of custom field values."))
        return current
    defs = {d.key: d for d in (definitions(entity) if known is None else known)}
    for key in raw:
        if key not in defs:
            errors.add(f"custom.{key}", _("There is no custom field with this key."))
    result = dict(current)
    for key, definition in defs.items():
        if key in raw or not partial:
            value = errors.check(
                f"custom.{key}", lambda d=definition, k=key: clean_value(d, raw.get(k))
            )
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
    return result
