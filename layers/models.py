from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Subquery
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


def _latest_score(side, field="value", offset=0):
    latest = Score.objects.filter(layer=OuterRef("pk"), side=side).order_by(
        "-as_of", "-pk"
    )
    return Subquery(latest.values(field)[offset : offset + 1])


class LayerQuerySet(models.QuerySet):
    def in_stack_order(self):
        return self.order_by("position")

    def with_current_scores(self):
        """Annotate each layer with both sides' latest and previous scores."""
        return self.annotate(
            us_score=_latest_score(Side.US),
            china_score=_latest_score(Side.CHINA),
            us_previous=_latest_score(Side.US, offset=1),
            china_previous=_latest_score(Side.CHINA, offset=1),
            us_as_of=_latest_score(Side.US, "as_of"),
            china_as_of=_latest_score(Side.CHINA, "as_of"),
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
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

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


class Page(VersionedModel):
    """Site-wide text edited in the admin, such as the State of the Stack."""

    STATE_OF_THE_STACK = "state-of-the-stack"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title
