"""Every public page and partial runs as many queries with ten times the data.

Each address is counted on the shipped content, then again after the stack
has grown tenfold in layers, scores and developments.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from charts.models import Chart, ChartPage
from layers.models import Layer, Score, Side
from news.models import Development
from tests.conftest import CONTENT_DOCUMENT

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def addresses():
    """(path, headers) for each kind of public page and partial."""
    layer = Layer.objects.get(slug="ai-accelerators")
    development = Development.objects.published().select_related("layer").first()
    chart = Chart.objects.filter(is_shown=True).first()
    chart_page = ChartPage.objects.select_related("layer").first()
    layer_url = layer.get_absolute_url()
    pages = [
        "/",
        "/?as_of=2026-06-30",
        layer_url,
        f"{layer_url}?as_of=2026-06-30",
        f"{layer_url}comparison/",
        f"{layer_url}effective-compute/",
        f"{layer_url}social.png",
        "/weigh/",
        "/weigh/?w-ai-accelerators=3",
        "/weakest-link/",
        "/changes/",
        f"/changes/?layer={layer.slug}",
        "/news/",
        f"/news/?layer={layer.slug}",
        f"/news/?category={slugify(development.category)}",
        development.get_absolute_url(),
        "/search/?q=chips",
        "/methodology/",
        "/feeds/",
        "/feeds/developments.rss",
        "/feeds/developments.atom",
        f"/feeds/layer/{layer.slug}.rss",
        "/sitemap.xml",
        "/robots.txt",
        "/data/",
        f"/embed/layer/{layer.slug}/",
        reverse("charts:detail", args=[chart.slug]),
        reverse("charts:csv", args=[chart.slug]),
        chart_page.get_absolute_url(),
        "/api/v1/layers",
        f"/api/v1/layers/{layer.slug}",
        f"/api/v1/scores?layer={layer.slug}",
        "/api/v1/developments",
    ]
    partials = [
        f"{layer_url}comparison/",
        f"{layer_url}effective-compute/",
        "/weigh/",
        "/weakest-link/",
        reverse("charts:detail", args=[chart.slug]),
    ]
    return [(path, {}) for path in pages] + [(path, HTMX) for path in partials]


def count_queries(client, path, headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries)


def grow_tenfold():
    """Add nine times the shipped layers, scores and developments."""
    layers = list(Layer.objects.all())
    scores = Score.objects.count()
    developments = Development.objects.count()
    start = max(layer.position for layer in layers)
    new_layers = Layer.objects.bulk_create(
        Layer(
            name=f"Grown layer {n}",
            slug=f"grown-layer-{n}",
            position=start + n,
            summary="Grown for the query counts.",
            measure="A measure",
        )
        for n in range(1, 9 * len(layers) + 1)
    )
    every_layer = layers + new_layers
    today = datetime.date(2026, 12, 2)
    per_layer = 9 * scores // (2 * len(every_layer)) + 1
    Score.objects.bulk_create(
        Score(
            layer=layer,
            side=side,
            value=Decimal(n % 100) / 10,
            as_of=today - datetime.timedelta(days=30 * (n + 1)),
            rationale="Earlier view.",
        )
        for layer in every_layer
        for side in Side.values
        for n in range(per_layer)
    )
    per_layer = 9 * developments // len(every_layer) + 1
    now = timezone.now()
    Development.objects.bulk_create(
        Development(
            layer=layer,
            title=f"Grown development {n}",
            slug=f"grown-development-{n}",
            body="Chips and more chips.",
            category="Policy",
            published_at=now - datetime.timedelta(days=n + 1),
        )
        for layer in every_layer
        for n in range(per_layer)
    )


def test_every_page_runs_the_same_queries_with_ten_times_the_data(client):
    call_command("import_stack", str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")
    paths = addresses()
    shipped = {
        (path, bool(headers)): count_queries(client, path, headers)
        for path, headers in paths
    }
    scores, developments = Score.objects.count(), Development.objects.count()

    grow_tenfold()

    assert Layer.objects.count() == 10 * 14
    assert Score.objects.count() >= 10 * scores
    assert Development.objects.count() >= 10 * developments
    grown = {
        (path, bool(headers)): count_queries(client, path, headers)
        for path, headers in paths
    }
    assert grown == shipped
