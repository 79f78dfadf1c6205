"""The methodology page: an editable Page, then every layer's measure and the
sources its figures come from.

Three queries whatever the size of the stack: the layers, every figure's
provenance, and the shown charts. The sources are gathered in Python.
"""

import re
from dataclasses import dataclass, field

from django.shortcuts import render
from django.views.decorators.http import require_GET

from charts.models import Chart

from .models import Confidence, Layer, MetricValue, Page

# Analysts separate the sources of one figure with semicolons.
SOURCE_SEPARATOR = re.compile(r"\s*;\s*")
# A closing parenthesis says something of the figure, "(61%)" or "(US 45,000
# t)", which its layer's page shows; one holding a year alone, "(2024)",
# dates the publication and stays part of its name.
FIGURE_DETAIL = re.compile(r"\s*\((?!\d{4}\))[^()]*\)$")
OWN_ESTIMATE = "The tracker’s own estimates"


@dataclass
class Source:
    name: str
    years: set = field(default_factory=set)
    is_own_estimate: bool = False

    @property
    def sorted_years(self):
        return sorted(self.years)


@dataclass
class LayerSources:
    """What one layer's figures rest on, in the order they are first cited."""

    figures: int = 0
    sourced_figures: int = 0
    by_key: dict = field(default_factory=dict)

    @property
    def sources(self):
        # The tracker's own estimates after the published sources.
        return sorted(self.by_key.values(), key=lambda s: s.is_own_estimate)

    def cite(self, text, years=()):
        for part in SOURCE_SEPARATOR.split(text.strip()):
            name = FIGURE_DETAIL.sub("", part) or part
            if name:
                self._add(name.casefold(), name, years)

    def cite_own_estimate(self, years=()):
        self._add(None, OWN_ESTIMATE, years, is_own_estimate=True)

    def _add(self, key, name, years, is_own_estimate=False):
        source = self.by_key.setdefault(key, Source(name, set(), is_own_estimate))
        source.years.update(year for year in years if year)


@require_GET
def methodology(request):
    layers = list(
        Layer.objects.in_stack_order().only("name", "slug", "position", "measure")
    )
    sources = {layer.pk: LayerSources() for layer in layers}
    _add_figures(sources)
    _add_charts(sources)
    for layer in layers:
        layer.figure_sources = sources[layer.pk]
    context = {
        "page": Page.objects.filter(slug=Page.METHODOLOGY).first(),
        "layers": layers,
    }
    return render(request, "layers/methodology.html", context)


def _add_figures(sources):
    """The key metrics' figures: each one's source and year."""
    figures = MetricValue.objects.values_list(
        "metric__layer_id", "low", "text", "year", "source", "confidence"
    ).order_by("metric__layer_id", "metric__position", "metric_id", "side")
    for layer_id, low, text, year, source, confidence in figures:
        if low is None and not text:
            continue  # "No public figure": nothing was taken from anywhere.
        found = sources[layer_id]
        found.figures += 1
        if confidence == Confidence.UNSOURCED:
            found.cite_own_estimate([year])
        elif source.strip():
            found.sourced_figures += 1
            found.cite(source, [year])


def _add_charts(sources):
    """The shown charts: their listed sources, and each row's own."""
    charts = (
        Chart.objects.shown()
        .only("layer_id", "kind", "data", "sources")
        .order_by("layer_id", "page_id", "position", "pk")
    )
    for chart in charts:
        found = sources[chart.layer_id]
        # The chart's own list covers the rows that name no source.
        covered_years = []
        for row in chart.dataset.rows:
            if row.is_own_estimate:
                if row.has_number:
                    found.cite_own_estimate([row.year])
            elif row.source:
                found.cite(row.source, [row.year])
            else:
                covered_years.append(row.year)
        for line in chart.source_lines:
            found.cite(line, covered_years)
