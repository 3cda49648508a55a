"""The outage archive's filters (django-filter): each bad value is a form error
the page shows with a 400, never a 500. The archive lists outages (spikes that
head one, see spikes.incidents.join_outage): a region or level filter matches an
outage when any of its spikes matches."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pages.editions import in_country
from reports.catalog import get_catalog
from reports.models import Service, ServiceGroup
from spikes.models import ALL_REGIONS, Level, Spike, Verdict


class SpikeFilterForm(forms.Form):
    """Checks that go across the filters' fields, with messages a reader can act on."""

    def clean_service(self) -> Service | None:
        """A slug or a name, in any case ("whatsapp", "WhatsApp", "Microsoft Teams")."""
        value = " ".join((self.data.get("service") or "").split())
        if not value:
            return None
        services = Service.objects.active()
        found = services.filter(slug__iexact=value).first() or services.filter(name__iexact=value).first()
        if found is None:
            raise ValidationError(
                _("There is no service called %(value)r: use its name or slug, e.g. WhatsApp or whatsapp.")
                % {"value": value}
            )
        return found

    def clean_region(self) -> str:
        value = (self.cleaned_data.get("region") or "").strip()
        if value.lower() in ("", "all"):
            return value.lower()
        code = value.upper()
        if code not in get_catalog().regions:
            raise ValidationError(
                _("%(value)r is not a region: use an ISO 3166-1 code such as US, IN or DE, or 'all'.")
                % {"value": value}
            )
        return code

    def clean(self) -> dict:
        data = super().clean()
        after, before = data.get("started_after"), data.get("started_before")
        if after and before and after > before:
            self.add_error("started_before", _("The end of the date range comes before its start."))
        return data


class SpikeFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(
        method="filter_service",
        label=gettext_lazy("Service"),
        help_text=gettext_lazy("Its name or slug, e.g. WhatsApp"),
    )
    group = django_filters.ModelChoiceFilter(
        field_name="service__group",
        queryset=ServiceGroup.objects.all(),
        to_field_name="slug",
        label=gettext_lazy("Owner"),
        empty_label=gettext_lazy("Any owner"),
        error_messages={"invalid_choice": gettext_lazy("There is no owner with that name.")},
    )
    region = django_filters.CharFilter(
        method="filter_region",
        label=gettext_lazy("Region"),
        help_text=gettext_lazy("ISO code such as IN, or 'all' for all regions together"),
    )
    level = django_filters.ChoiceFilter(
        choices=Level.choices,
        label=gettext_lazy("Level"),
        empty_label=gettext_lazy("Any level"),
        method="filter_level",
    )
    verdict = django_filters.ChoiceFilter(
        choices=Verdict.choices, label=gettext_lazy("Verdict"), empty_label=gettext_lazy("Any verdict")
    )
    state = django_filters.ChoiceFilter(
        choices=[("open", gettext_lazy("Going on")), ("ended", gettext_lazy("Over"))],
        method="filter_state",
        label=gettext_lazy("Going on or over"),
        empty_label=gettext_lazy("Going on or over"),
    )
    started_after = django_filters.DateFilter(
        field_name="started_at",
        lookup_expr="date__gte",
        label=gettext_lazy("Started on or after"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    started_before = django_filters.DateFilter(
        field_name="started_at",
        lookup_expr="date__lte",
        label=gettext_lazy("Started on or before"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Spike
        form = SpikeFilterForm
        fields: list[str] = []

    def filter_service(self, queryset, name: str, value):
        return queryset.filter(service=value) if value else queryset

    def filter_state(self, queryset, name: str, value: str):
        return queryset.filter(ended_at__isnull=value == "open")

    def filter_region(self, queryset, name: str, value: str):
        if value == "all":
            return queryset.filter(region=ALL_REGIONS)
        return queryset.filter(in_country(value))

    def filter_level(self, queryset, name: str, value: str):
        return queryset.filter(Q(level=value) | Q(parts__level=value)).distinct()
