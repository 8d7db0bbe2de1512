"""Forms for the account pages. They render and collect input; the services validate it."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.core.persian import to_ascii_digits

from .models import Role, Team, User

FIELD_TEMPLATE = "accounts/_field.html"


class BootstrapMixin:
    """Bootstrap classes on every widget, and service errors shown under their field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                css = ""
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ``{field: [messages]}`` under the matching form fields."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class LoginForm(AuthenticationForm):
    def clean_username(self):
        # E-mails are stored lower-cased; digits may be typed on a Persian keyboard.
        return to_ascii_digits(self.cleaned_data.get("username") or "").strip().lower()


class StyledPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    pass


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("fa", _("Persian")), ("en", _("English"))])


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. the name of the program that uses it."),
    )


def _team_field():
    return forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _role_field():
    return forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)


def _language_field():
    return forms.ChoiceField(
        label=_("Language"), choices=User._meta.get_field("language").choices, initial="fa"
    )


class UserCreateForm(BootstrapMixin, forms.Form):
    # No max_length or format checks here: create_user gives the one clear message.
    email = forms.CharField(label=_("E-mail"), widget=forms.EmailInput(attrs={"dir": "ltr"}))
    full_name = forms.CharField(label=_("Full name"), required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "dir": "ltr"}),
    )
    role = _role_field()
    teams = _team_field()
    language = _language_field()

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["team_ids"] = [team.pk for team in data.pop("teams")]
        return data


class UserEditForm(BootstrapMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), required=False)
    role = _role_field()
    teams = _team_field()
    is_active = forms.BooleanField(label=_("Active"), required=False)
    language = _language_field()

    @classmethod
    def for_user(cls, user: User, data=None):
        initial = {
            "full_name": user.full_name,
            "role": user.role,
            "teams": list(user.teams.all()),
            "is_active": user.is_active,
            "language": user.language,
        }
        return cls(data, initial=initial)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["team_ids"] = [team.pk for team in data.pop("teams")]
        return data


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Team name"))
