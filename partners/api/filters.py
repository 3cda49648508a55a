"""Query-string filters of the list endpoints. A value that does not fit is a 400
whose `errors` names the parameter (django-filter's errors, in our error shape); an
empty value is the same as leaving the parameter out."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django_filters.fields import IsoDateTimeField

from partners.api.serializers import utc_instant
from reports.models import Category, Region, Service, ServiceGroup
from spikes.models import Incident, Level, Spike, Verdict


def _unknown(what: str, listing: str) -> dict[str, str]:
    return {"invalid_choice": f"There is no {what} with this slug; see {listing}."}


class RegionField(forms.CharField):
    """An ISO code, or "all" for the all-regions series (cleaned to "")."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        code = value.strip().upper()
        if code == "ALL":
            return ""
        if not Region.objects.filter(code=code).exists():
            # The value goes in as a parameter: django-filter %-formats every message.
            raise forms.ValidationError(
                "There is no region %(value)r: use an ISO 3166-1 code such as US, or 'all'.",
                params={"value": value[:20]},
            )
        return code


class RegionFilter(filters.CharFilter):
    field_class = RegionField

    def filter(self, qs, value):
        return qs if value is None else qs.filter(**{self.field_name: value})


class UTCDateTimeField(IsoDateTimeField):
    """ISO 8601, handed on in UTC; an offset no place uses (-22:00, which Python
    reads and PostgreSQL refuses) or a time outside 2000 to 2100 is refused."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return utc_instant(moment)
        except ValueError as bad:
            raise forms.ValidationError(str(bad).replace("%", "%%")) from None


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class ServiceFilter(filters.FilterSet):
    group = filters.ModelChoiceFilter(
        queryset=ServiceGroup.objects.all(),
        to_field_name="slug",
        error_messages=_unknown("group", "the services' group field"),
    )
    category = filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Service
        fields = ["group", "category"]


class SpikeFilter(filters.FilterSet):
    service = filters.ModelChoiceFilter(
        queryset=Service.objects.all(),
        to_field_name="slug",
        error_messages=_unknown("service", "/api/v1/services/"),
    )
    group = filters.ModelChoiceFilter(
        field_name="service__group",
        queryset=ServiceGroup.objects.all(),
        to_field_name="slug",
        error_messages=_unknown("group", "the services' group field"),
    )
    region = RegionFilter(field_name="region", help_text="ISO code, or 'all' for all regions together")
    level = filters.ChoiceFilter(choices=Level.choices)
    verdict = filters.ChoiceFilter(choices=Verdict.choices)
    since = UTCDateTimeFilter(field_name="started_at", lookup_expr="gte", help_text="Started at or after")
    until = UTCDateTimeFilter(field_name="started_at", lookup_expr="lt", help_text="Started before")

    class Meta:
        model = Spike
        fields = ["service", "group", "region", "level", "verdict", "since", "until"]


class IncidentFilter(filters.FilterSet):
    group = filters.ModelChoiceFilter(
        queryset=ServiceGroup.objects.all(),
        to_field_name="slug",
        error_messages=_unknown("group", "the services' group field"),
    )
    kind = filters.ChoiceFilter(choices=Incident.Kind.choices)
    since = UTCDateTimeFilter(field_name="started_at", lookup_expr="gte", help_text="Started at or after")
    until = UTCDateTimeFilter(field_name="started_at", lookup_expr="lt", help_text="Started before")

    class Meta:
        model = Incident
        fields = ["group", "kind", "since", "until"]
