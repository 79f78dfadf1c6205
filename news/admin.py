import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from layers.admin import HistoryAdmin, preview
from layers.concurrency import VersionedForm, local_time

from .models import SOURCE_URL_MESSAGE, Development

WALL_TIME_FORMAT = "j M Y, H:i"


def zone_label(zone, year):
    """Name a time zone with its abbreviations, e.g. "America/New_York (EST/EDT)"."""
    names = []
    for month in (1, 7):
        name = datetime.datetime(year, month, 15, 12, tzinfo=zone).tzname()
        if name not in names:
            names.append(name)
    return f"{zone.key} ({'/'.join(names)})" if hasattr(zone, "key") else str(zone)


class PublishTimeField(forms.SplitDateTimeField):
    """A date and time on the newsroom's clock, stored in UTC.

    A time the clocks skip when they go forward is refused in plain words. A
    time that happens twice when they go back counts as the first of the two
    (daylight time); ``ambiguous`` then says so.
    """

    widget = AdminSplitDateTime

    def compress(self, data_list):
        self.ambiguous = None
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise ValidationError("Enter the date.", code="invalid_date")
        if data_list[1] in self.empty_values:
            raise ValidationError("Enter the time.", code="invalid_time")
        wall = datetime.datetime.combine(*data_list)
        zone = timezone.get_current_timezone()
        first = wall.replace(tzinfo=zone, fold=0)
        second = wall.replace(tzinfo=zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return first
        same_moment = first.astimezone(datetime.UTC).astimezone(zone)
        if same_moment.replace(tzinfo=None) != wall:
            raise ValidationError(
                "%(wall)s does not exist in %(zone)s: the clocks go forward that "
                "night and skip it. Choose another time, such as %(later)s.",
                code="nonexistent_time",
                params={
                    "wall": date_format(wall, WALL_TIME_FORMAT),
                    "zone": zone_label(zone, wall.year),
                    "later": f"{same_moment:%H:%M} {same_moment.tzname()}",
                },
            )
        self.ambiguous = (
            f"{date_format(wall, WALL_TIME_FORMAT)} happens twice in "
            f"{zone_label(zone, wall.year)} because the clocks go back that night. "
            f"It was saved as the first of the two, "
            f"{first:%H:%M} {first.tzname()}."
        )
        return first


class DevelopmentForm(VersionedForm):
    published_at = PublishTimeField(label="Publish time", initial=timezone.now)

    class Meta:
        model = Development
        fields = (
            "layer",
            "title",
            "slug",
            "category",
            "body",
            "source",
            "source_url",
            "status",
            "published_at",
            "date_is_known",
        )
        error_messages = {"source_url": {"invalid": SOURCE_URL_MESSAGE}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone()
        self.fields["published_at"].help_text = (
            f"Readers see the item from this moment on. Enter it in "
            f"{zone_label(zone, timezone.localdate().year)} time; the site "
            f"stores it in UTC. When the clocks go back, a time that happens "
            f"twice counts as the first of the two."
        )

    def clean_published_at(self):
        value = self.cleaned_data["published_at"]
        if self.instance.pk and "published_at" not in self.changed_data:
            # Keep the stored moment: the second of two repeated times would
            # otherwise slip back an hour on an unrelated edit.
            return self.instance.published_at
        return value

    @property
    def ambiguous_time_note(self):
        if "published_at" not in self.changed_data:
            return None
        return getattr(self.fields["published_at"], "ambiguous", None)


class HasSourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "has_source"

    def lookups(self, request, model_admin):
        return (("yes", "Has a source"), ("no", "No source"))

    def queryset(self, request, queryset):
        unsourced = Q(source="", source_url="")
        if self.value() == "yes":
            return queryset.exclude(unsourced)
        if self.value() == "no":
            return queryset.filter(unsourced)
        return queryset


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Development.State.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        live = Q(status=Development.Status.LIVE)
        conditions = {
            Development.State.DRAFT: ~live,
            Development.State.SCHEDULED: live & Q(published_at__gt=now),
            Development.State.PUBLISHED: live & Q(published_at__lte=now),
        }
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


@admin.register(Development)
class DevelopmentAdmin(HistoryAdmin):
    form = DevelopmentForm
    list_display = (
        "title",
        "layer",
        "category",
        "state_label",
        "status",
        "publish_time",
        "date_is_known",
        "has_source",
    )
    list_editable = ("status",)
    list_filter = (
        StateFilter,
        "status",
        "layer",
        "category",
        "date_is_known",
        HasSourceFilter,
    )
    list_select_related = ("layer",)
    search_fields = ("title", "body", "category", "source", "layer__name")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    fields = (
        "layer",
        "title",
        "slug",
        "category",
        "body",
        "source",
        "source_url",
        "status",
        "published_at",
        "state_label",
        "date_is_known",
        "body_preview",
    )
    readonly_fields = ("state_label", "body_preview")

    @admin.display(description="State", ordering="published_at")
    def state_label(self, obj):
        if obj.pk is None:
            return "Not saved yet"
        state = obj.state
        if state == Development.State.SCHEDULED:
            return f"Scheduled · goes live {local_time(obj.published_at)}"
        if state == Development.State.PUBLISHED:
            return f"Published · {local_time(obj.published_at)}"
        return "Draft · hidden from readers"

    @admin.display(description="Source", boolean=True)
    def has_source(self, obj):
        return obj.has_source

    @admin.display(description="Publish time", ordering="published_at")
    def publish_time(self, obj):
        return local_time(obj.published_at)

    @admin.display(description="As readers see it (saved version)")
    def body_preview(self, obj):
        return preview(obj.body)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        note = getattr(form, "ambiguous_time_note", None)
        if note:
            self.message_user(request, note, messages.WARNING)
