from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from reports.models import (
    ProblemType,
    Region,
    Report,
    Service,
    ServiceGroup,
    ServiceProblem,
)


class ServiceProblemInline(admin.TabularInline):
    model = ServiceProblem
    extra = 1
    ordering = ["position"]
    autocomplete_fields = ["problem_type"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "group", "is_active"]
    list_filter = ["is_active", "category", "group"]
    list_editable = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["group", "countries"]
    inlines = [ServiceProblemInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ProblemType)
class ProblemTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # ISO 3166-1 is the list; reports point at it


class HasCommentFilter(admin.SimpleListFilter):
    title = "comment"
    parameter_name = "has_comment"

    def lookups(self, request, model_admin):
        return [("yes", "With a comment"), ("no", "Without")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(comment="")
        if self.value() == "no":
            return queryset.filter(comment="")
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Moderation: find reports and comments, hide what should not be shown."""

    list_display = [
        "created_at",
        "service",
        "problem",
        "region",
        "source",
        "is_repeat",
        "comment",
        "comment_hidden",
    ]
    list_filter = [HasCommentFilter, "comment_hidden", "source", "is_repeat", "service__category"]
    search_fields = ["comment", "service__name", "service__slug"]
    date_hierarchy = "created_at"
    list_select_related = ["service", "problem", "region"]
    readonly_fields = [
        "service",
        "problem",
        "region",
        "subdivision",
        "created_at",
        "comment",
        "source",
        "fingerprint",
        "is_repeat",
    ]
    fields = readonly_fields + ["comment_hidden"]
    actions = ["hide_comments", "show_comments"]
    # Counting millions of rows on every page is slow; "show all" counts on demand.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports come from users, through the form or the API

    @admin.action(description="Hide the comments of the selected reports")
    def hide_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = queryset.update(comment_hidden=True)
        self.message_user(request, f"{changed} comment(s) hidden.")

    @admin.action(description="Show the comments of the selected reports again")
    def show_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = queryset.update(comment_hidden=False)
        self.message_user(request, f"{changed} comment(s) shown.")
