from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from tracker.security import SignInForm

from .concurrency import VersionedAdminMixin, VersionedForm, VersionedInlineMixin
from .markdown import render
from .models import (
    EVEN,
    SCORE_MAX,
    SCORE_MESSAGE,
    SCORE_MIN,
    Layer,
    Metric,
    MetricValue,
    Page,
    Score,
    Section,
    Side,
)

admin.site.site_header = "The AI Stack Tracker"
admin.site.site_title = "The AI Stack Tracker"
admin.site.index_title = "Scores, layers and news"
admin.site.login_form = SignInForm

SOURCE_REQUIRED = "Give a source for the new score: where the evidence comes from."
RATIONALE_REQUIRED = "Say why the score is what it is."
FUTURE_SCORE = (
    "A score applies from today or an earlier day: readers see the newest "
    "score at once. Enter it on the day it takes effect."
)
EARLY_REVIEW = "The review is due on or after the score's as-of date."


class ScoreField(forms.DecimalField):
    """Accept 0 to 10 in steps of 0.1; say so in one sentence otherwise."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages", {"invalid": SCORE_MESSAGE, "required": SCORE_MESSAGE}
        )
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


class HistoryAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    """The base of every admin here: kept history and no lost updates."""

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

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history saves a reverted version outside a
        # transaction; the stale-edit check needs one to lock the row.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(
                request, object_id, version_id, extra_context
            )


SMALL_TEXTAREA = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 30})}
}


def preview(text):
    """Show Markdown as readers see it, sanitized like the public pages."""
    return render(text) if text else "—"


def _layer_url(layer, anchor):
    return f"{layer.get_absolute_url()}#{anchor}"


class ScoreForm(VersionedForm):
    """A score; a new one needs its reasons and where the evidence comes from."""

    value = ScoreField(label="Score", help_text=SCORE_MESSAGE)

    class Meta:
        model = Score
        fields = (
            "layer",
            "side",
            "value",
            "as_of",
            "rationale",
            "source",
            "confidence",
            "review_due",
            "developments",
        )
        error_messages = {"rationale": {"required": RATIONALE_REQUIRED}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding and "source" in self.fields:
            self.fields["source"].required = True
            self.fields["source"].error_messages["required"] = SOURCE_REQUIRED
        if self.instance._state.adding and "as_of" in self.fields:
            self.fields["as_of"].initial = timezone.localdate
        if "confidence" in self.fields:
            # Left out, the confidence stays as it is (medium for a new score).
            self.fields["confidence"].required = False

    def clean_confidence(self):
        return self.cleaned_data.get("confidence") or self.instance.confidence

    def clean_source(self):
        source = self.cleaned_data.get("source", "").strip()
        if not source and self.instance._state.adding:
            raise ValidationError(SOURCE_REQUIRED, code="source_required")
        return source

    def clean_as_of(self):
        # Readers see the latest score at once, so a later date would
        # publish an assessment before the day it describes.
        as_of = self.cleaned_data.get("as_of")
        if as_of and as_of > timezone.localdate():
            raise ValidationError(FUTURE_SCORE, code="future_score")
        return as_of

    def clean(self):
        cleaned = super().clean()
        as_of, review_due = cleaned.get("as_of"), cleaned.get("review_due")
        if as_of and review_due and review_due < as_of:
            self.add_error("review_due", EARLY_REVIEW)
        return cleaned


class ScoreRecordInline(admin.TabularInline):
    """Scores already given, read-only: a new assessment is a new score."""

    model = Score
    fields = (
        "side",
        "value",
        "as_of",
        "rationale_text",
        "source",
        "confidence",
        "review_due",
    )
    readonly_fields = fields
    ordering = ("-as_of", "-pk")
    extra = 0
    show_change_link = True
    verbose_name_plural = "scores (newest first: the newest for each side is current)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="rationale")
    def rationale_text(self, obj):
        return preview(obj.rationale)


class NewScoreInline(VersionedInlineMixin, admin.StackedInline):
    """Room for new scores only; the ones already given stay as they are.

    Stacked, not a table row: the reasons need room, and a row widened by
    error messages would push fields off the side of the page.
    """

    model = Score
    form = ScoreForm
    # The layer is the one being edited.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("side", "value", "as_of"),
                    "rationale",
                    "source",
                    ("confidence", "review_due"),
                    "developments",
                ]
            },
        )
    ]
    autocomplete_fields = ("developments",)
    extra = 0
    can_delete = False
    formfield_overrides = SMALL_TEXTAREA
    verbose_name = "score"
    verbose_name_plural = "new scores (each needs a rationale and a source)"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class SectionInline(VersionedInlineMixin, admin.StackedInline):
    model = Section
    fields = ("position", "heading", "is_branch", "body")
    extra = 0
    classes = ("collapse",)
    show_change_link = True


class MetricInline(VersionedInlineMixin, admin.TabularInline):
    model = Metric
    fields = ("position", "name", "formula")
    extra = 0
    show_change_link = True
    formfield_overrides = SMALL_TEXTAREA


class ReviewOverdueFilter(admin.SimpleListFilter):
    """Current scores whose review date has passed, or the rest."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return (("overdue", "Review overdue"), ("current", "Current scores"))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue_for_review(timezone.localdate())
        if self.value() == "current":
            return queryset.current()
        return queryset


class LeaderFilter(admin.SimpleListFilter):
    title = "leader"
    parameter_name = "leader"

    def lookups(self, request, model_admin):
        return (
            ("us", Side.US.label),
            ("china", Side.CHINA.label),
            ("even", EVEN),
            ("unscored", "Not yet scored"),
        )

    def queryset(self, request, queryset):
        # The queryset carries the current scores (LayerAdmin.get_queryset).
        conditions = {
            "us": Q(us_score__gt=F("china_score")),
            "china": Q(china_score__gt=F("us_score")),
            "even": Q(us_score=F("china_score")),
            "unscored": Q(us_score__isnull=True) | Q(china_score__isnull=True),
        }
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


@admin.register(Layer)
class LayerAdmin(HistoryAdmin):
    list_display = (
        "position",
        "name",
        "us_score",
        "china_score",
        "leader",
        "site_link",
    )
    list_display_links = ("name",)
    list_filter = (LeaderFilter,)
    search_fields = ("name", "summary", "measure")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("related",)
    view_on_site = True
    save_on_top = True
    fieldsets = (
        (None, {"fields": ("name", "slug", "position", "summary", "measure")}),
        ("Related layers", {"classes": ("collapse",), "fields": ("related",)}),
        (
            "Internal notes (not shown to readers)",
            {"classes": ("collapse",), "fields": ("internal_notes",)},
        ),
    )
    inlines = (ScoreRecordInline, NewScoreInline, SectionInline, MetricInline)

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

    @admin.display(description="On the site")
    def site_link(self, obj):
        return format_html('<a href="{}">View</a>', obj.get_absolute_url())


@admin.register(Section)
class SectionAdmin(HistoryAdmin):
    list_display = ("heading", "layer", "position", "is_branch")
    list_filter = ("layer", "is_branch")
    list_select_related = ("layer",)
    search_fields = ("heading", "body", "layer__name")
    ordering = ("layer__position", "position", "pk")
    fields = ("layer", "position", "heading", "is_branch", "body", "body_preview")
    readonly_fields = ("body_preview",)

    def view_on_site(self, obj):
        return _layer_url(obj.layer, f"section-{obj.pk}")

    @admin.display(description="As readers see it (saved version)")
    def body_preview(self, obj):
        return preview(obj.body)


class MetricValueForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("low"), cleaned.get("high")
        if low is not None and high is not None and low > high:
            raise ValidationError(
                "The low end of the range is above the high end. For a single "
                "figure, enter it as both.",
                code="low_above_high",
            )
        return cleaned

    def validate_constraints(self):
        # The database constraint says the same in its own name.
        if not self.has_error(NON_FIELD_ERRORS, "low_above_high"):
            super().validate_constraints()


class MetricValueInline(VersionedInlineMixin, admin.TabularInline):
    model = MetricValue
    form = MetricValueForm
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
    list_editable = ("position",)
    list_filter = ("layer",)
    list_select_related = ("layer",)
    search_fields = ("name", "formula", "layer__name")
    ordering = ("layer__position", "position", "pk")
    inlines = (MetricValueInline,)

    def view_on_site(self, obj):
        return _layer_url(obj.layer, "metrics")


@admin.register(Score)
class ScoreAdmin(HistoryAdmin):
    form = ScoreForm
    list_display = (
        "layer",
        "side",
        "value",
        "as_of",
        "confidence",
        "review_due",
        "review_state",
        "source",
    )
    list_filter = (ReviewOverdueFilter, "side", "layer", "confidence")
    list_select_related = ("layer",)
    autocomplete_fields = ("developments",)
    search_fields = ("layer__name", "rationale", "source")
    date_hierarchy = "as_of"
    ordering = ("layer__position", "side", "-as_of", "-pk")
    formfield_overrides = SMALL_TEXTAREA

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        note = (
            "Change a score only to correct a mistake. To record a new "
            "assessment, add a new score: earlier scores stay on record."
        )
        (name, options), *rest = fieldsets
        return [(name, {**options, "description": note}), *rest]

    def view_on_site(self, obj):
        return _layer_url(obj.layer, "score")

    def get_queryset(self, request):
        return super().get_queryset(request).with_is_current()

    @admin.display(description="Review")
    def review_state(self, obj):
        # Only a current score can be overdue: a newer one was its review.
        if not getattr(obj, "is_current", False):
            return "Replaced"
        if obj.is_overdue_for_review(timezone.localdate()):
            return "Overdue"
        return "Current"


@admin.register(Page)
class PageAdmin(HistoryAdmin):
    list_display = ("title", "slug", "updated_at")
    list_filter = ("updated_at",)
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("title", "slug", "body", "body_preview")
    readonly_fields = ("body_preview",)

    def view_on_site(self, obj):
        # None hides the link for a page readers cannot see.
        return obj.get_absolute_url()

    @admin.display(description="As readers see it (saved version)")
    def body_preview(self, obj):
        return preview(obj.body)


def _one_decimal(value):
    # SQLite hands subquery annotations back unscaled: 4 rather than 4.0.
    return None if value is None else f"{value:.1f}"
