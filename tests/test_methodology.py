"""/methodology/: the editable text, then every layer's measure and figures."""

import re

import pytest
from django.urls import reverse

from layers.models import Page, Side
from tests.factories import add_metric, add_value, make_layer

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


def test_lists_each_layer_with_its_measure_and_sourced_figures(client, db):
    minerals = make_layer("Critical Minerals", position=1, measure="Refining")
    memory = make_layer("Memory", position=6, measure="HBM share")
    share = add_metric(memory, "HBM share")
    add_value(share, Side.US, 100, source="Counterpoint")
    add_value(share, Side.CHINA, 0, source="")
    supply = add_metric(memory, "Supply")
    add_value(supply, Side.US, 5, source="TrendForce")

    html = page(client)

    rows = re.findall(
        r'<th scope="row"><a href="([^"]+)">.*?</span> ([^<]+)</a></th>\s*'
        r"<td>([^<]+)</td>\s*<td class=\"measures__number\">(.*?)</td>",
        html,
    )
    assert rows == [
        (minerals.get_absolute_url(), "Critical Minerals", "Refining", "0"),
        (
            memory.get_absolute_url(),
            "Memory",
            "HBM share",
            '2 <span class="measures__of">of 3</span>',
        ),
    ]


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
