import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lag
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .concurrency import VersionedModel


class Side(models.TextChoices):
    US = "us", "US & Allies"
    CHINA = "china", "China"


EVEN = "Even"
SCORE_MIN = Decimal("0.0")
SCORE_MAX = Decimal("10.0")
SCORE_MESSAGE = "Scores run from 0 to 10, in steps of 0.1."


def leader_of(us, china):
    """Name the side with the higher score, "Even" on a tie, None if unscored."""
    if us is None or china is None:
        return None
    if us == china:
        return EVEN
    return Side.US.label if us > china else Side.CHINA.label


class _ScoreValue(models.DecimalField):
    """A score read back through a subquery, with its one decimal place.

    SQLite gives such values back as plain numbers (8, not 8.0); PostgreSQL
    keeps the column's scale.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return Decimal(value).quantize(Decimal(1).scaleb(-self.decimal_places))


def _latest_score(side, field="value", offset=0, as_of=None):
    latest = Score.objects.filter(layer=OuterRef("pk"), side=side)
    if as_of is not None:
        latest = latest.filter(as_of__lte=as_of)
    latest = latest.order_by("-as_of", "-pk")
    output_field = None
    if field == "value":
        column = Score._meta.get_field("value")
        output_field = _ScoreValue(
            max_digits=column.max_digits, decimal_places=column.decimal_places
        )
    return Subquery(
        latest.values(field)[offset : offset + 1], output_field=output_field
    )


class LayerQuerySet(models.QuerySet):
    def in_stack_order(self):
        return self.order_by("position")

    def with_current_scores(self, as_of=None):
        """Annotate each layer with both sides' latest and previous scores.

        With ``as_of`` (a date), "latest" means latest on or before that day:
        the scores as they stood then (see layers/asof.py).
        """
        return self.annotate(
            us_score=_latest_score(Side.US, as_of=as_of),
            china_score=_latest_score(Side.CHINA, as_of=as_of),
            us_previous=_latest_score(Side.US, offset=1, as_of=as_of),
            china_previous=_latest_score(Side.CHINA, offset=1, as_of=as_of),
            us_as_of=_latest_score(Side.US, "as_of", as_of=as_of),
            china_as_of=_latest_score(Side.CHINA, "as_of", as_of=as_of),
        )


class Layer(VersionedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    position = models.PositiveSmallIntegerField(
        unique=True,
        help_text="Place in the stack: 1 is the bottom (Critical Minerals).",
    )
    summary = models.TextField(help_text="One or two sentences. Markdown.")
    measure = models.CharField(
        max_length=255, help_text="What the 0–10 score measures on this layer."
    )
    related = models.ManyToManyField("self", blank=True)
    internal_notes = models.TextField(
        blank=True,
        help_text="Editorial notes and plans. Never shown to readers.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = LayerQuerySet.as_manager()

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("layers:detail", args=[self.slug])

    def current_score(self, side):
        return self.scores.filter(side=side).order_by("-as_of", "-pk").first()

    @property
    def leader(self):
        """The leading side, derived from the current scores."""
        if hasattr(self, "us_score"):
            return leader_of(self.us_score, self.china_score)
        us, china = self.current_score(Side.US), self.current_score(Side.CHINA)
        return leader_of(us and us.value, china and china.value)

    @property
    def gap(self):
        if self.us_score is None or self.china_score is None:
            return None
        return abs(self.us_score - self.china_score)


class Section(VersionedModel):
    """Explanatory text on a layer page.

    A branch section is a heading with an introduction; the sections after it
    sit under it until the next branch (the Testing and Safety Science layer
    groups its sections this way).
    """

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown.")
    is_branch = models.BooleanField(
        "branch heading",
        default=False,
        help_text="Group the sections that follow under this heading.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["layer", "position", "pk"]

    def __str__(self):
        return self.heading


class Metric(VersionedModel):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="metrics")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    key = models.SlugField(
        max_length=60,
        blank=True,
        help_text="Lets a module of the site find this metric, e.g. "
        "'units-shipped' for the effective-compute module. Leave it as it is.",
    )
    formula = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["layer", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "name"], name="unique_metric_name_per_layer"
            ),
            models.UniqueConstraint(
                fields=["layer", "key"],
                condition=~models.Q(key=""),
                name="unique_metric_key_per_layer",
            ),
        ]

    def __str__(self):
        return self.name


class Confidence(models.TextChoices):
    SOLID = "solid", "Solid"
    ESTIMATE = "estimate", "Estimate"
    UNSOURCED = "unsourced", "Tracker's own estimate"


class MetricValue(VersionedModel):
    """One side's figure for a metric, with its provenance.

    A single figure has low == high; a range keeps both ends. With neither,
    the figure is shown as "no public figure".
    """

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="values")
    side = models.CharField(max_length=8, choices=Side.choices)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    text = models.CharField(
        max_length=120,
        blank=True,
        help_text="A figure that is not a number, e.g. '5 nm-class'.",
    )
    unit = models.CharField(max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.TextField(blank=True)
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.SOLID
    )
    note = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["metric", "side"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "side"], name="one_value_per_metric_side"
            ),
            models.CheckConstraint(
                condition=models.Q(low__isnull=True)
                | models.Q(high__isnull=True)
                | models.Q(low__lte=models.F("high")),
                name="metric_value_low_not_above_high",
            ),
        ]

    def __str__(self):
        return f"{self.metric} ({self.get_side_display()})"

    @property
    def is_missing(self):
        return self.low is None and not self.text

    @property
    def midpoint(self):
        if self.low is None:
            return None
        return (self.low + (self.high if self.high is not None else self.low)) / 2


class ScoreConfidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# A score is due for another look this long after its as-of date, unless the
# analyst sets another date.
REVIEW_PERIOD = datetime.timedelta(days=90)


class ReviewDueField(models.DateField):
    """A date that, left empty, becomes REVIEW_PERIOD after the row's as_of.

    Filled in pre_save, so bulk_create() (the importer's path) fills it too.
    """

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        as_of = model_instance._meta.get_field("as_of").to_python(model_instance.as_of)
        if value is None and as_of is not None:
            value = as_of + REVIEW_PERIOD
            setattr(model_instance, self.attname, value)
        return value


def _current_pk(as_of=None):
    """The pk of the current score for the outer score's layer and side."""
    latest = Score.objects.filter(layer=OuterRef("layer"), side=OuterRef("side"))
    if as_of is not None:
        latest = latest.filter(as_of__lte=as_of)
    return Subquery(latest.order_by("-as_of", "-pk").values("pk")[:1])


class ScoreQuerySet(models.QuerySet):
    def current(self, as_of=None):
        """Each layer's latest score for each side, on or before ``as_of``."""
        return self.filter(pk=_current_pk(as_of))

    def with_is_current(self):
        """Annotate ``is_current``: whether no later score replaced this one."""
        return self.annotate(
            is_current=ExpressionWrapper(
                Q(pk=_current_pk()), output_field=models.BooleanField()
            )
        )

    def overdue_for_review(self, today):
        """Current scores whose review date is before ``today``."""
        return self.current().filter(review_due__lt=today)

    def with_previous_value(self, window=False):
        """Annotate ``previous_value``: the score its side had just before.

        A subquery by default, so it stays right however the queryset is
        filtered. A window function (``window=True``) is much faster over a
        long history, but is right only if no filter drops a score's
        predecessors (a filter on the layer or an as_of upper bound is fine).
        """
        if window:
            return self.annotate(
                previous_value=Window(
                    Lag("value"),
                    partition_by=[F("layer_id"), F("side")],
                    order_by=[F("as_of").asc(), F("pk").asc()],
                )
            )
        earlier = Score.objects.filter(
            Q(as_of__lt=OuterRef("as_of"))
            | Q(as_of=OuterRef("as_of"), pk__lt=OuterRef("pk")),
            layer=OuterRef("layer"),
            side=OuterRef("side"),
        ).order_by("-as_of", "-pk")
        return self.annotate(previous_value=Subquery(earlier.values("value")[:1]))


class Score(VersionedModel):
    """One side's score for one layer as of a date; the latest one is current."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="scores")
    side = models.CharField(max_length=8, choices=Side.choices)
    value = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        validators=[
            MinValueValidator(SCORE_MIN, SCORE_MESSAGE),
            MaxValueValidator(SCORE_MAX, SCORE_MESSAGE),
        ],
        help_text=SCORE_MESSAGE,
    )
    as_of = models.DateField("as of")
    rationale = models.TextField(help_text="Why the score is what it is. Markdown.")
    source = models.TextField(blank=True, help_text="Where the evidence comes from.")
    confidence = models.CharField(
        max_length=6,
        choices=ScoreConfidence.choices,
        default=ScoreConfidence.MEDIUM,
        help_text="How sure the tracker is of this score. Readers see it.",
    )
    review_due = ReviewDueField(
        "review due",
        blank=True,
        help_text="When to look at this score again. Leave it empty for 90 days "
        "after the as-of date.",
    )
    developments = models.ManyToManyField(
        "news.Development",
        blank=True,
        related_name="scores",
        help_text="The developments that moved this score. Readers see the "
        "published ones beside it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = ScoreQuerySet.as_manager()

    class Meta:
        ordering = ["layer", "side", "-as_of", "-pk"]
        get_latest_by = ["as_of", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=SCORE_MIN)
                & models.Q(value__lte=SCORE_MAX),
                name="score_value_0_to_10",
                violation_error_message=SCORE_MESSAGE,
            ),
        ]
        indexes = [models.Index(fields=["layer", "side", "-as_of"])]

    def __str__(self):
        return f"{self.layer} · {self.get_side_display()}: {self.value}"

    def is_overdue_for_review(self, today):
        return self.review_due is not None and self.review_due < today


class Page(VersionedModel):
    """Site-wide text edited in the admin, such as the State of the Stack."""

    STATE_OF_THE_STACK = "state-of-the-stack"
    METHODOLOGY = "methodology"
    # Where readers see each page; other pages are not shown on the site.
    URLS = {
        STATE_OF_THE_STACK: ("layers:home", "#summary"),
        METHODOLOGY: ("methodology", ""),
    }

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.slug not in self.URLS:
            return None
        url_name, fragment = self.URLS[self.slug]
        return reverse(url_name) + fragment
