"""/methodology/: the editable text, then every layer's measure and figures."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layers.models import Page, Side
from tests.factories import (
    add_chart,
    add_chart_page,
    add_metric,
    add_value,
    make_layer,
)

pytestmark = pytest.mark.django_db

METHODOLOGY = "/methodology/"


def page(client, url=METHODOLOGY):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def methodology_page():
    return Page.objects.get(slug="methodology")


def test_methodology_has_its_address_and_name():
    assert reverse("methodology") == METHODOLOGY


def test_migration_writes_the_first_text(db):
    body = methodology_page().body

    assert "### The 0–10 scale" in body
    assert "higher current score" in body
    assert "**Even**" in body
    assert "every quarter" in body


def test_shows_the_pages_text_from_the_database(client, db):
    html = page(client)

    assert '<h1 class="layer-head__title">Methodology</h1>' in html
    assert "<h3>The 0–10 scale</h3>" in html
    assert "<title>Methodology · The AI Stack Tracker</title>" in html


def test_an_edit_in_the_admin_changes_the_page(client, db):
    methodology = methodology_page()
    methodology.title = "How the tracker works"
    methodology.body = "Scores are reviewed **every month**."
    methodology.save()

    html = page(client)

    assert '<h1 class="layer-head__title">How the tracker works</h1>' in html
    assert "Scores are reviewed <strong>every month</strong>." in html
    assert "The 0–10 scale" not in html


def test_without_the_page_the_measures_are_still_listed(client, db):
    Page.objects.filter(slug="methodology").delete()
    make_layer("Memory", measure="HBM production share")

    html = page(client)

    assert "HBM production share" in html
    assert '<h1 class="layer-head__title">Methodology</h1>' in html


def layer_rows(html):
    """Each layer's row: (link, name, measure, [sources as read], count line)."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)[1:]:
        link, name = re.search(
            r'<th scope="row"><a href="([^"]+)">.*?</span> ([^<]+)</a></th>', row
        ).groups()
        measure = re.search(
            r'class="measures__measure"><span class="measures__label">Measure</span>'
            r" ([^<]+)</td>",
            row,
        )[1]
        sources = [
            " ".join(unescape(re.sub(r"<[^>]+>", "", item)).split())
            for item in re.findall(r'<li class="sources__item[^"]*">(.*?)</li>', row)
        ]
        count = re.search(r'<p class="sources__count">([^<]+)</p>', row)
        rows.append((link, name, measure, sources, count and count[1]))
    return rows


def test_lists_each_layer_with_its_measure_and_the_sources_of_its_figures(client, db):
    minerals = make_layer("Critical Minerals", position=1, measure="Refining")
    memory = make_layer("Memory", position=6, measure="HBM share")
    share = add_metric(memory, "HBM share")
    add_value(share, Side.US, 62, source="Counterpoint Research", year=2025)
    add_value(share, Side.CHINA, 0, source="")
    supply = add_metric(memory, "Supply")
    add_value(supply, Side.US, 5, source="TrendForce", year=2024)
    add_chart(memory, sources="Yole Group (2025)")

    rows = layer_rows(page(client))

    assert rows == [
        (minerals.get_absolute_url(), "Critical Minerals", "Refining", [], None),
        (
            memory.get_absolute_url(),
            "Memory",
            "HBM share",
            [
                "Counterpoint Research figures for 2025",
                "TrendForce figures for 2024",
                "Yole Group (2025) figures for 2022",
            ],
            "2 of 3 key-metric figures name a source",
        ),
    ]
    assert "No sourced figure yet." in page(client)


def test_a_source_cited_by_several_figures_is_listed_once_with_each_year(client, db):
    talent = make_layer("Talent")
    add_value(
        add_metric(talent, "Researchers"),
        Side.US,
        60,
        source="MacroPolo, Global AI Talent Tracker",
        year=2022,
    )
    add_value(
        add_metric(talent, "Graduates"),
        Side.CHINA,
        47,
        source="macropolo, global AI talent tracker",
        year=2019,
    )
    add_chart(
        talent,
        data="label | value | year | source\nChina | 47 | 2022 | "
        "MacroPolo, Global AI Talent Tracker",
        sources="",
    )

    (row,) = layer_rows(page(client))

    assert row[3] == ["MacroPolo, Global AI Talent Tracker figures for 2019, 2022"]


def test_sources_of_one_figure_are_listed_apart_without_the_figures_details(client, db):
    minerals = make_layer("Critical Minerals")
    add_value(
        add_metric(minerals, "Mining share"),
        Side.CHINA,
        61,
        high=69,
        source="IEA, Outlook 2025 (61%); USGS, Mineral Commodity Summaries "
        "(270,000 t, ≈69%)",
        year=2024,
    )
    add_value(
        add_metric(minerals, "Refining share"),
        Side.CHINA,
        92,
        source="IEA, Outlook 2025",
        year=2024,
    )
    add_value(add_metric(minerals, "Capacity"), Side.US, 3, source="SIA & BCG (2024)")

    (row,) = layer_rows(page(client))

    assert row[3] == [
        "IEA, Outlook 2025 figures for 2024",
        "USGS, Mineral Commodity Summaries figures for 2024",
        "SIA & BCG (2024)",
    ]


def test_a_source_with_an_address_links_to_it(client, db):
    layer = make_layer("Testing and Safety Science")
    add_chart(
        layer,
        kind="bulletin",
        data="title | text\nAIID | A database of incidents.",
        sources="AI Incident Database, https://incidentdatabase.ai/",
    )

    html = page(client)

    assert (
        '<a href="https://incidentdatabase.ai/" rel="nofollow">'
        "https://incidentdatabase.ai/</a>" in html
    )


def test_typed_markup_in_a_source_is_shown_as_text(client, db):
    layer = make_layer("Memory")
    add_value(add_metric(layer), Side.US, 1, source="<b>Bold</b> & Co")

    html = page(client)

    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert "<b>Bold</b>" not in html


def test_own_estimates_are_named_as_the_trackers_and_listed_last(client, db):
    layer = make_layer("Testing and Safety Science")
    add_value(add_metric(layer, "Window"), Side.US, 4, confidence="unsourced")
    add_value(add_metric(layer, "Funding"), Side.US, 10, source="NIST", year=2024)

    (row,) = layer_rows(page(client))

    assert row[3] == ["NIST figures for 2024", "The tracker’s own estimates"]
    assert row[4] == "1 of 2 key-metric figures name a source"


def test_a_figure_not_found_has_no_source_to_list(client, db):
    layer = make_layer("Advanced Packaging")
    add_value(add_metric(layer), Side.CHINA, source="no public figure found")

    (row,) = layer_rows(page(client))

    assert row[3] == []
    assert row[4] is None


def test_a_hidden_charts_sources_are_not_listed(client, db):
    layer = make_layer("Fabrication")
    add_chart(layer, sources="Shown source")
    add_chart(layer, sources="Source being checked", is_shown=False)

    (row,) = layer_rows(page(client))

    assert row[3] == ["Shown source figures for 2022"]


def test_query_count_does_not_grow_with_layers_figures_and_charts(client, db):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(METHODOLOGY).status_code == 200
        return len(queries)

    def grow():
        layer = make_layer()
        metric = add_metric(layer)
        add_value(metric, Side.US, 1, source="A source", year=2024)
        add_value(metric, Side.CHINA, 2, source="Another", year=2025)
        add_chart(layer, page=add_chart_page(layer))

    grow()
    once = count()
    for _ in range(5):
        grow()

    assert count() == once


def test_footer_links_the_methodology(client, db):
    assert f'<a href="{METHODOLOGY}">How the scores are set</a>' in page(client, "/")


def test_layer_score_card_links_the_methodology(client, db):
    layer = make_layer("Memory")

    html = page(client, layer.get_absolute_url())

    assert (
        f'<a class="scorecard__method" href="{METHODOLOGY}">How the scores are set</a>'
        in html
    )


def test_methodology_is_in_the_sitemap(client, db):
    sitemap = client.get("/sitemap.xml").content.decode()

    assert "<loc>http://testserver/methodology/</loc>" in sitemap
    assert "<loc>http://testserver/news/</loc>" in sitemap


def test_methodology_only_answers_get(client, db):
    assert client.post(METHODOLOGY).status_code == 405
