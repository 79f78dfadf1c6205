import logging
import re
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import Resolver404, resolve, reverse
from simple_history.models import HistoricalRecords

from layers.concurrency import VersionedModel
from layers.models import Confidence, Layer

from . import rendering, tables
from .tables import Kind

logger = logging.getLogger(__name__)

BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


class ChartPage(VersionedModel):
    """A page of its own for a layer's charts, linked from the layer page."""

    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="chart_pages"
    )
    slug = models.SlugField(
        max_length=80,
        help_text="The page's address after the layer's: 'capacity' makes "
        "/layer/fabrication/capacity/.",
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(
        blank=True,
        help_text="An introduction under the title, and the text of the link "
        "on the layer page. Markdown.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        # No join: the stale-edit check locks rows with this ordering.
        ordering = ["layer_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "slug"], name="unique_chart_page_slug_per_layer"
            ),
        ]
        verbose_name = "chart page"

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if not self.slug or self.layer_id is None:
            return
        path = f"/layer/{self.layer.slug}/{self.slug}/"
        try:
            match = resolve(path)
        except Resolver404:
            return
        if match.url_name != "page":
            raise ValidationError(
                {
                    "slug": f"{path} is already the address of another page of the "
                    "site. Choose another slug."
                }
            )

    def get_absolute_url(self):
        return reverse("charts:page", args=[self.layer.slug, self.slug])


class ChartQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(is_shown=True)

    def in_order(self):
        return self.order_by("position", "pk")


class Chart(VersionedModel):
    """A chart on a layer: its kind, its words and its table of figures."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="charts")
    page = models.ForeignKey(
        ChartPage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="charts",
        help_text="Leave empty to show the chart on the layer page; choose a "
        "chart page to show it there instead.",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=80,
        unique=True,
        help_text="Names the chart in its addresses, e.g. /charts/<slug>.csv.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order among the charts in the same place."
    )
    branch = models.CharField(
        "branch heading",
        max_length=200,
        blank=True,
        help_text="To show the chart under one of the layer's branch headings, "
        "type that heading exactly, e.g. 'Internal Safety Departments'. Leave "
        "empty to show it after the layer's explanations.",
    )
    note = models.TextField(
        "reading note",
        blank=True,
        help_text="A few sentences on how to read the chart and what it shows. "
        "Markdown.",
    )
    measure = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the figures measure, e.g. 'Share of leading-edge logic "
        "capacity'. Labels the axis.",
    )
    unit = models.CharField(
        max_length=60,
        blank=True,
        help_text="The unit of the figures, e.g. '%', 'days' or 'US$ million'. "
        "A 'unit' column in the table sets it row by row instead.",
    )
    scale_max = models.FloatField(
        "axis up to",
        null=True,
        blank=True,
        help_text="Draw the axis up to this value, e.g. 100 for shares. Leave "
        "empty to fit the figures.",
    )
    data = models.TextField(
        "table",
        blank=True,
        help_text="The figures: a header line naming the columns, then one line "
        "per row, cells separated by '|' (or paste from a spreadsheet). Leave a "
        "cell empty, or write 'no public figure' or 'not given', where there is "
        "no figure. Every kind may also have the columns side (US & Allies or "
        "China), unit, shown (how to write the figure, e.g. '2–6 weeks'), year, "
        "source, confidence (solid, estimate or unsourced) and note.",
    )
    sources = models.TextField(
        blank=True,
        help_text="One source per line, shown under the chart. Needed unless "
        "every row with a figure names its own source.",
    )
    is_shown = models.BooleanField(
        "shown to readers",
        default=True,
        help_text="Untick to keep a chart hidden while it is being prepared.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ChartQuerySet.as_manager()

    class Meta:
        # No join: the stale-edit check locks rows with this ordering.
        ordering = ["layer_id", "page_id", "position", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        errors = {}
        try:
            data = tables.read(
                self.kind, self.data, has_sources=bool(self.source_lines)
            )
        except tables.DataError as error:
            errors["data"] = error.messages
        except ValueError:
            pass  # An unknown kind: the kind field reports it.
        else:
            if self.is_shown and data.is_empty:
                errors["data"] = tables.EMPTY_TABLE
        if self.layer_id is not None:
            if self.page is not None and self.page.layer_id != self.layer_id:
                errors["page"] = (
                    f"That chart page belongs to {self.page.layer}, not to "
                    f"{self.layer}."
                )
            if self.branch.strip():
                headings = list(
                    self.layer.sections.filter(is_branch=True).values_list(
                        "heading", flat=True
                    )
                )
                if self.branch.strip() not in headings:
                    listed = "; ".join(f"'{h}'" for h in headings) or "none"
                    errors["branch"] = (
                        f"{self.layer} has no branch heading '{self.branch}'. "
                        f"Its branch headings are: {listed}."
                    )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.branch = self.branch.strip()
        self.__dict__.pop("dataset", None)
        self.__dict__.pop("drawing", None)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        anchor = f"#chart-{self.slug}"
        if self.page_id is not None:
            return self.page.get_absolute_url() + anchor
        return self.layer.get_absolute_url() + anchor

    @property
    def source_lines(self):
        lines = [BULLET.sub("", line).strip() for line in self.sources.splitlines()]
        return [line for line in lines if line]

    @cached_property
    def dataset(self):
        """The checked table; an empty one if the stored table has mistakes."""
        try:
            return tables.read(self.kind, self.data, has_sources=True)
        except (tables.DataError, ValueError):
            logger.warning("Chart %s has a table that does not check out.", self.pk)
            return tables.Dataset(kind=self.kind)

    @property
    def all_sources(self):
        """The chart's sources, then each row's own, each once."""
        listed = list(self.source_lines)
        seen = {line.casefold() for line in listed}
        for row in self.dataset.rows:
            if row.source and row.source.casefold() not in seen:
                seen.add(row.source.casefold())
                listed.append(row.source)
        return listed

    @cached_property
    def drawing(self):
        """The chart drawn as SVG, wide and narrow, with its description."""
        return rendering.draw(self, self.dataset, f"chart-{self.slug}")

    @property
    def table(self):
        """The figures as readers see them in the table beside the chart."""
        return tables.display(self.dataset)

    @property
    def has_own_estimates(self):
        return any(row.is_own_estimate for row in self.dataset.rows)

    @property
    def own_estimate_label(self):
        return Confidence.UNSOURCED.label
