"""The forms of the alerts: following by email, following in a browser (JSON),
asking for a new manage link, and the manage page's choices."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django import forms
from django.core.validators import EmailValidator

from reports.catalog import get_catalog
from reports.models import Service, ServiceGroup

HONEYPOT_FIELD = "homepage"
WHAT_CHOICES = [("service", "This service"), ("group", "Every service of its group")]


def clean_region(value: str) -> str:
    code = (value or "").strip().upper()
    if code and code not in get_catalog().regions:
        raise forms.ValidationError(
            f"{value!r} is not a country code we know: choose one from the list, or Everywhere."
        )
    return code


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")


def clean_zone(value: str) -> str:
    if not value:
        return "UTC"
    if len(value) > 64 or value not in zone_names():
        raise forms.ValidationError(f"{value[:64]!r} is not a time zone name such as Europe/Paris.")
    return value


class AddressField(forms.EmailField):
    """An address as people type it: blanks around it ignored, compared in lower case."""

    default_validators = [EmailValidator(message="Enter an email address such as name@example.com.")]

    def to_python(self, value):
        return super().to_python(value).strip().lower()


class FollowForm(forms.Form):
    email = AddressField(max_length=254)
    region = forms.CharField(required=False, max_length=8)
    what = forms.ChoiceField(choices=WHAT_CHOICES, required=False)

    def __init__(self, *args, service: Service, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.service = service

    def clean_region(self) -> str:
        return clean_region(self.cleaned_data["region"])

    def clean_what(self) -> str:
        what = self.cleaned_data["what"] or "service"
        if what == "group" and self.service.group_id is None:
            raise forms.ValidationError(f"{self.service.name} belongs to no group of services.")
        return what


class ManageLinkForm(forms.Form):
    email = AddressField(max_length=254)


class TimeZoneForm(forms.Form):
    time_zone = forms.CharField(max_length=64)

    def clean_time_zone(self) -> str:
        return clean_zone(self.cleaned_data["time_zone"])


class PushKeysForm(forms.Form):
    p256dh = forms.CharField(max_length=100)
    auth = forms.CharField(max_length=32)


class PushFollowForm(forms.Form):
    """The JSON body of a browser's follow or unfollow: its push subscription
    (as PushSubscription.toJSON() gives it) and what it follows."""

    endpoint = forms.URLField(max_length=1000, assume_scheme="https")
    service = forms.SlugField(required=False)
    group = forms.SlugField(required=False)
    region = forms.CharField(required=False, max_length=8)
    time_zone = forms.CharField(required=False, max_length=64)

    def clean_region(self) -> str:
        return clean_region(self.cleaned_data["region"])

    def clean_time_zone(self) -> str:
        return clean_zone(self.cleaned_data["time_zone"])

    def clean_service(self) -> Service | None:
        slug = self.cleaned_data["service"]
        if not slug:
            return None
        service = Service.objects.active().filter(slug=slug).first()
        if service is None:
            raise forms.ValidationError(f"There is no service {slug!r}.")
        return service

    def clean_group(self) -> ServiceGroup | None:
        slug = self.cleaned_data["group"]
        if not slug:
            return None
        group = ServiceGroup.objects.filter(slug=slug).first()
        if group is None:
            raise forms.ValidationError(f"There is no group of services {slug!r}.")
        return group

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and (data.get("service") is None) == (data.get("group") is None):
            raise forms.ValidationError("Name either a service or a group of services to follow.")
        return data
