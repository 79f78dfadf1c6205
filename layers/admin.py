from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    SCORE_MAX,
    SCORE_MESSAGE,
    SCORE_MIN,
    Layer,
    Metric,
    MetricValue,
    Page,
    Score,
    Section,
)

admin.site.site_header = "The AI Stack Tracker"
admin.site.site_title = "The AI Stack Tracker"
admin.site.index_title = "Scores, layers and news"


class ScoreField(forms.DecimalField):
    """Accept 0 to 10 in steps of 0.1; say so in one sentence otherwise."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": SCORE_MESSAGE})
        super().__init__(
            min_value=SCORE_MIN,
            max_value=SCORE_MAX,
            max_digits=3,
            decimal_places=1,
            **kwargs,
        )

    def run_validators(self, value):
        # Django's own messages speak of digits and decimal places, and a
        # value such as 100 breaks two rules at once.
        try:
            super().run_validators(value)
        except ValidationError:
            raise ValidationError(SCORE_MESSAGE, code="score_scale") from None


class HistoryAdmin(SimpleHistoryAdmin):
    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # TODO: drop once django-simple-history (3.13) stops calling
        # select_related() with no fields for a model without foreign keys,
        # which Django 6.1 deprecates.
        tracked = history_manager.model.tracked_fields
        if any(isinstance(field, models.ForeignKey) for field in tracked):
            return super().get_history_queryset(
                request, history_manager, pk_name, object_id
            )
        return history_manager.filter(**{pk_name: object_id}).select_related(
            "history_user"
        )


SMALL_TEXTAREA = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 30})}
}


class ScoreForm(forms.ModelForm):
    value = ScoreField(label="Score", help_text=SCORE_MESSAGE)

    class Meta:
        model = Score
        fields = ("layer", "side", "value", "as_of", "rationale", "source")


class SectionInline(admin.StackedInline):
    model = Section
    fields = ("position", "heading", "is_branch", "body")
    extra = 0
    classes = ("collapse",)


class MetricInline(admin.TabularInline):
    model = Metric
    fields = ("position", "name", "formula")
    extra = 0
    show_change_link = True
    formfield_overrides = SMALL_TEXTAREA


class ScoreInline(admin.TabularInline):
    model = Score
    form = ScoreForm
    fields = ("side", "value", "as_of", "rationale", "source")
    ordering = ("-as_of", "-pk")
    extra = 0
    formfield_overrides = SMALL_TEXTAREA
    verbose_name_plural = "scores (newest first: the newest for each side is current)"


@admin.register(Layer)
class LayerAdmin(HistoryAdmin):
    list_display = ("position", "name", "us_score", "china_score", "leader")
    list_display_links = ("name",)
    search_fields = ("name", "measure")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("related",)
    view_on_site = True
    fieldsets = (
        (None, {"fields": ("name", "slug", "position", "summary", "measure")}),
        ("Related layers", {"classes": ("collapse",), "fields": ("related",)}),
        (
            "Internal notes (not shown to readers)",
            {"classes": ("collapse",), "fields": ("internal_notes",)},
        ),
    )
    inlines = (ScoreInline, SectionInline, MetricInline)

    def get_queryset(self, request):
        # One query for the list however many layers there are.
        return super().get_queryset(request).with_current_scores()

    @admin.display(description="US & Allies", ordering="us_score")
    def us_score(self, obj):
        return _one_decimal(obj.us_score)

    @admin.display(description="China", ordering="china_score")
    def china_score(self, obj):
        return _one_decimal(obj.china_score)

    @admin.display(description="Leader")
    def leader(self, obj):
        return obj.leader


class MetricValueInline(admin.TabularInline):
    model = MetricValue
    fields = (
        "side",
        "low",
        "high",
        "text",
        "unit",
        "year",
        "confidence",
        "source",
        "note",
    )
    extra = 0
    max_num = 2
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}
    }


@admin.register(Metric)
class MetricAdmin(HistoryAdmin):
    list_display = ("name", "layer", "position")
    list_filter = ("layer",)
    list_select_related = ("layer",)
    search_fields = ("name", "formula", "layer__name")
    ordering = ("layer__position", "position", "pk")
    inlines = (MetricValueInline,)


@admin.register(Score)
class ScoreAdmin(HistoryAdmin):
    form = ScoreForm
    list_display = ("layer", "side", "value", "as_of")
    list_filter = ("side", "layer")
    list_select_related = ("layer",)
    search_fields = ("layer__name", "rationale", "source")
    date_hierarchy = "as_of"
    ordering = ("layer__position", "side", "-as_of", "-pk")
    formfield_overrides = SMALL_TEXTAREA


@admin.register(Page)
class PageAdmin(HistoryAdmin):
    list_display = ("title", "slug", "updated_at")
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}


def _one_decimal(value):
    # SQLite hands subquery annotations back unscaled: 4 rather than 4.0.
    return None if value is None else f"{value:.1f}"
