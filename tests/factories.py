"""Small helpers that create the rows the page tests need."""

import datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone
from django.utils.text import slugify

from charts.models import Chart, ChartPage
from charts.tables import Kind
from layers.models import Layer, Metric, MetricValue, Page, Score, Section, Side
from news.models import Development

AS_OF = datetime.date(2026, 12, 2)
_numbers = count(1)


def make_layer(name=None, position=None, **fields):
    number = next(_numbers)
    name = name or f"Layer {number}"
    defaults = {
        "slug": slugify(name),
        "position": position if position is not None else number,
        "summary": f"What {name} is about.",
        "measure": f"How {name} is measured",
    }
    return Layer.objects.create(name=name, **{**defaults, **fields})


def add_score(layer, side, value, as_of=AS_OF, **fields):
    return Score.objects.create(
        layer=layer,
        side=side,
        value=Decimal(str(value)),
        as_of=as_of,
        rationale=fields.pop("rationale", "Why."),
        **fields,
    )


def add_scores(layer, us, china, as_of=AS_OF):
    """Score both sides of ``layer`` on the same day."""
    return add_score(layer, Side.US, us, as_of), add_score(
        layer, Side.CHINA, china, as_of
    )


def add_metric(layer, name=None, formula="A = B / C", **fields):
    name = name or f"Metric {next(_numbers)}"
    return Metric.objects.create(layer=layer, name=name, formula=formula, **fields)


def add_value(metric, side, low=None, high=None, **fields):
    if low is not None and high is None:
        high = low
    return MetricValue.objects.create(
        metric=metric, side=side, low=low, high=high, **fields
    )


def add_section(layer, heading=None, body="Section text.", **fields):
    heading = heading or f"Section {next(_numbers)}"
    return Section.objects.create(layer=layer, heading=heading, body=body, **fields)


def add_development(layer, title=None, days_ago=1, now=None, **fields):
    title = title or f"Development {next(_numbers)}"
    now = now or timezone.now()
    defaults = {
        "body": f"What happened: {title}.",
        "category": "Policy",
        "published_at": now - datetime.timedelta(days=days_ago),
    }
    return Development.objects.create(layer=layer, title=title, **defaults | fields)


def make_state_of_the_stack(body="The race is **not** over."):
    return Page.objects.create(
        slug=Page.STATE_OF_THE_STACK, title="State of the Stack", body=body
    )


def add_chart_page(layer, slug="capacity", title="Who makes the edge", **fields):
    return ChartPage.objects.create(layer=layer, slug=slug, title=title, **fields)


def add_chart(layer, slug=None, **fields):
    """A ranked chart of three regions, sourced as the loader writes one."""
    slug = slug or f"chart-{next(_numbers)}"
    defaults = {
        "kind": Kind.RANKED,
        "title": "Leading-edge capacity",
        "data": "label | value | year\nTaiwan | 69 | 2022\nSouth Korea | 31 | 2022",
        "sources": "SIA & BCG (2024)",
        "unit": "%",
    }
    return Chart.objects.create(layer=layer, slug=slug, **defaults | fields)
