from django.contrib import admin

from layers.admin import HistoryAdmin

from .models import Development


@admin.register(Development)
class DevelopmentAdmin(HistoryAdmin):
    list_display = (
        "title",
        "layer",
        "category",
        "status",
        "published_at",
        "date_is_known",
    )
    list_filter = ("layer", "category", "status", "date_is_known")
    list_select_related = ("layer",)
    search_fields = ("title", "body")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    fields = (
        "layer",
        "title",
        "slug",
        "category",
        "body",
        "status",
        "published_at",
        "date_is_known",
    )
