"""The admin's form for a status source: the JSON fields checked, with messages
an operator can act on."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator

from reports.models import Region
from statuspages.formats.generic import check_options
from statuspages.models import SourceKind, StatusSource

WEB_ONLY = URLValidator(schemes=["https", "http"])
WEB_ONLY_MESSAGE = {"invalid": "Enter a web address starting with https://."}


class StatusSourceForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        validators=[WEB_ONLY],
        error_messages=WEB_ONLY_MESSAGE,
        help_text=StatusSource.url.field.help_text,
    )
    page_url = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        validators=[WEB_ONLY],
        error_messages=WEB_ONLY_MESSAGE,
        help_text=StatusSource.page_url.field.help_text,
    )

    class Meta:
        model = StatusSource
        fields = [
            "service",
            "name",
            "kind",
            "url",
            "page_url",
            "region",
            "components",
            "component_regions",
            "options",
            "interval_seconds",
            "is_active",
        ]

    def clean_components(self) -> list[str]:
        value = self.cleaned_data.get("components") or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise forms.ValidationError('A list of component names, e.g. ["Fortnite", "Epic Games Store"].')
        return [v.strip() for v in value]

    def clean_component_regions(self) -> dict[str, str]:
        value = self.cleaned_data.get("component_regions") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('An object of component name to region, e.g. {"Europe": "DE"}.')
        known = set(Region.objects.values_list("code", flat=True))
        wrong = [
            f"{name}: {code!r}"
            for name, code in value.items()
            if not isinstance(code, str) or code not in known
        ]
        if wrong:
            raise forms.ValidationError(f"Not ISO 3166-1 codes: {', '.join(wrong)}.")
        return value

    def clean_region(self) -> str:
        code = (self.cleaned_data.get("region") or "").upper()
        if code and not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(f"{code!r} is not an ISO 3166-1 code such as US or IN.")
        return code

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == SourceKind.JSON:
            for message in check_options(data.get("options") or {}):
                self.add_error("options", message)
        elif data.get("options"):
            self.add_error("options", "Options are only read for the 'other JSON' kind; leave them empty.")
        return data
