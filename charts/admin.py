from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from layers.admin import HistoryAdmin, preview
from layers.concurrency import VersionedForm

from .models import Chart, ChartPage
from .tables import COLUMNS_HELP, Kind

TABLE_HELP = (
    "Type or paste the table: the first line names the columns, each line "
    "after it is one row, cells separated by '|' (or tabs, when pasted from a "
    "spreadsheet). Rows are counted from the first line under the header, and "
    "a chart shown to readers needs at least one. What each kind of chart needs:"
)


class ChartForm(VersionedForm):
    class Meta:
        model = Chart
        fields = "__all__"
        widgets = {
            "data": forms.Textarea(
                attrs={"rows": 14, "cols": 110, "wrap": "off", "class": "chart-data"}
            ),
            "note": forms.Textarea(attrs={"rows": 4, "cols": 80}),
            "sources": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }


@admin.register(Chart)
class ChartAdmin(HistoryAdmin):
    form = ChartForm
    list_display = (
        "title",
        "layer",
        "kind",
        "placement",
        "position",
        "is_shown",
        "site_link",
    )
    list_display_links = ("title",)
    list_filter = ("layer", "kind", "is_shown")
    list_select_related = ("layer", "page")
    search_fields = ("title", "slug", "note", "data", "sources", "layer__name")
    ordering = ("layer__position", "page", "position", "pk")
    prepopulated_fields = {"slug": ("title",)}
    save_on_top = True
    readonly_fields = ("drawing_preview",)
    fieldsets = (
        (None, {"fields": ("layer", "kind", "title", "slug", "is_shown")}),
        ("Where it goes", {"fields": ("page", "branch", "position")}),
        (
            "Figures",
            {
                "fields": ("data", "measure", "unit", "scale_max"),
                "description": format_html(
                    "{}<ul>{}</ul>",
                    TABLE_HELP,
                    format_html_join(
                        "",
                        "<li><strong>{}</strong>: {}</li>",
                        (
                            (Kind(kind).label, text)
                            for kind, text in COLUMNS_HELP.items()
                        ),
                    ),
                ),
            },
        ),
        ("Words", {"fields": ("note", "sources")}),
        (
            "As readers see it (saved version)",
            {"classes": ("collapse",), "fields": ("drawing_preview",)},
        ),
    )

    class Media:
        css = {"all": ("css/charts.css", "charts/admin.css")}

    @admin.display(description="Where", ordering="page")
    def placement(self, obj):
        if obj.page_id is not None:
            return f"Page: {obj.page}"
        return f"Under: {obj.branch}" if obj.branch else "Layer page"

    @admin.display(description="On the site")
    def site_link(self, obj):
        return format_html('<a href="{}">View</a>', obj.get_absolute_url())

    @admin.display(description="Chart")
    def drawing_preview(self, obj):
        if obj.pk is None:
            return "Save the chart to see it drawn."
        return format_html(
            '<div class="chart chart-preview">{}<div class="chart-preview__note">'
            "{}</div></div>",
            obj.drawing.wide,
            preview(obj.note),
        )


@admin.register(ChartPage)
class ChartPageAdmin(HistoryAdmin):
    list_display = ("title", "layer", "slug", "position", "site_link")
    list_filter = ("layer",)
    list_select_related = ("layer",)
    search_fields = ("title", "summary", "layer__name")
    ordering = ("layer__position", "position", "pk")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("layer", "title", "slug", "position", "summary", "chart_list")
    readonly_fields = ("chart_list",)

    @admin.display(description="Charts on this page")
    def chart_list(self, obj):
        charts = obj.charts.order_by("position", "pk") if obj.pk else []
        if not charts:
            return "None yet: choose this page in a chart's 'Where it goes'."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a></li>',
                (
                    (reverse("admin:charts_chart_change", args=[chart.pk]), chart.title)
                    for chart in charts
                ),
            ),
        )

    @admin.display(description="On the site")
    def site_link(self, obj):
        return format_html('<a href="{}">View</a>', obj.get_absolute_url())
