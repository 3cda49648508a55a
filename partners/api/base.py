"""The shared base of every read endpoint: key authentication, scope, rate limits
and quotas with their headers, django-filter, errors naming the bad parameter,
and (where a view asks for them) ETags and CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from django.http import Http404, HttpResponseNotModified
from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, mixins, pagination, renderers, viewsets
from rest_framework.request import Request

from outagewatch import api_errors
from partners.api.authentication import PartnerKeyAuthentication
from partners.api.serializers import utc_instant
from partners.api.throttling import HasReadScope, PartnerThrottle, throttled_message


class CSVRenderer(renderers.BaseRenderer):
    """Rows as CSV: a list's `results` (pages), a series' `buckets`, or an error's detail.
    Nested values (problem shares) are written as JSON in their cell."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        view = (renderer_context or {}).get("view")
        if isinstance(data, dict) and "detail" in data and "results" not in data:
            rows, fields = [{"detail": data["detail"]}], ["detail"]
        else:
            rows = data.get("results", data.get("buckets")) if isinstance(data, dict) else data
            fields = getattr(view, "csv_fields", None) or (list(rows[0]) if rows else [])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for row in rows or []:
            writer.writerow(
                [
                    json.dumps(v) if isinstance(v, dict | list) else ("" if v is None else v)
                    for v in map(row.get, fields)
                ]
            )
        return out.getvalue().encode()


class ParameterCursorPagination(pagination.CursorPagination):
    """Cursor pages; a damaged cursor is a 400 about the `cursor` parameter, not a 404."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = ("-started_at", "-id")

    def decode_cursor(self, request: Request):
        damaged = exceptions.ValidationError(
            {"cursor": ["This cursor is damaged or was not made by us: follow the `next` link as given."]}
        )
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise damaged from None
        if cursor is None or cursor.position is None:
            return cursor
        # A well-formed cursor can still hold a position that is not a time, or one
        # with an offset PostgreSQL refuses: the first is damaged, the second is
        # handed on in UTC.
        position = _utc_position(cursor.position)
        if position is None:
            raise damaged
        return cursor._replace(position=position)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        # isdigit() alone takes "²" and "①", which int() refuses.
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"limit": [f"limit must be a whole number from 1 to {self.max_page_size}, not {raw!r}."]}
            )
        return int(raw)


def _utc_position(position: str) -> str | None:
    """A cursor's position (a started_at) in UTC, or None if it is not a sane time."""
    try:
        moment = parse_datetime(position)
        # A naive time is not one of ours (we write UTC with its offset): damaged.
        return utc_instant(moment).isoformat() if moment is not None and moment.tzinfo else None
    except (ValueError, TypeError):
        return None


class PartnerBaseViewSet(viewsets.GenericViewSet):
    """Base of the read endpoints. Subclasses set queryset, serializer_class and
    filterset_class; `csv_actions` and `etag_actions` opt actions into CSV and ETags."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasReadScope]
    throttle_classes = [PartnerThrottle]
    filter_backends = [DjangoFilterBackend]
    pagination_class = None
    # Any path segment reaches the view, so a malformed id is our JSON 404, not
    # Django's HTML one (the router's default refuses dots).
    lookup_value_regex = "[^/]+"
    csv_actions: tuple[str, ...] = ()
    etag_actions: tuple[str, ...] = ()

    def get_renderers(self):
        if getattr(self, "action", None) in self.csv_actions:
            return [renderers.JSONRenderer(), CSVRenderer()]
        return [renderers.JSONRenderer()]

    def perform_content_negotiation(self, request: Request, force: bool = False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            if getattr(self, "action", None) is None:
                # A method this view does not take: its 405 comes next, in JSON.
                return super().perform_content_negotiation(request, force=True)
            formats = " or ".join(r.format for r in self.get_renderers())
            raise exceptions.ValidationError({"format": [f"format must be {formats}."]}) from None

    def throttled(self, request: Request, wait) -> None:
        allowance = request.allowance
        raise api_errors.Throttled(throttled_message(allowance), allowance.retry_after)

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method == "GET"
            and response.status_code == 200
            and getattr(self, "action", None) in self.etag_actions
        ):
            response = self._conditional(request, response)
        allowance = getattr(request, "allowance", None)
        if allowance is not None:
            for name, value in allowance.headers().items():
                response[name] = value
        return response

    @staticmethod
    def _conditional(request: Request, response):
        """A strong ETag over the body; 304 when the client already has it. The body
        is built either way: what this saves is the transfer and the client's parsing."""
        response.render()
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        asked = {
            tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")
        }
        if etag in asked or "*" in asked:
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            return not_modified
        response["ETag"] = etag
        return response


class PartnerViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, PartnerBaseViewSet):
    """A list and its items."""
