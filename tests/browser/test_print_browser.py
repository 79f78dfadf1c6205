"""Each layer page on paper: one A4 sheet that still says what the page
says, where it came from and how old its scores are."""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from charts.loader import import_charts, parse_charts
from layers.models import Layer
from news.models import Development
from tests.conftest import CONTENT_DOCUMENT, STACK_AS_OF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCORES_DATE = f"{STACK_AS_OF.day} {STACK_AS_OF:%B %Y}"


@pytest.fixture
def shipped(site):
    """The live site with everything the content ships, charts included."""
    text = CONTENT_DOCUMENT.with_name("charts.md").read_text(encoding="utf-8")
    import_charts(parse_charts(text))
    return site


def print_to_pdf(page, url):
    page.goto(url)
    page.emulate_media(media="print")
    return PdfReader(io.BytesIO(page.pdf(format="A4")))


def printed_text(reader):
    """The words on the sheets, ligatures spelt out, each run of space one."""
    text = " ".join(sheet.extract_text() for sheet in reader.pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_every_layer_prints_on_one_a4_sheet(page, shipped):
    layers = list(Layer.objects.order_by("position"))
    assert len(layers) == 14

    sheets = {
        layer.slug: len(print_to_pdf(page, shipped + layer.get_absolute_url()).pages)
        for layer in layers
    }

    assert sheets == dict.fromkeys(sheets, 1)


def test_every_printed_layer_gives_its_latest_news_address_and_date(page, shipped):
    for layer in Layer.objects.order_by("position"):
        url = shipped + layer.get_absolute_url()
        newest = Development.objects.published().filter(layer=layer).newest_first()
        titles = [development.title for development in newest[:4]]

        text = printed_text(print_to_pdf(page, url))

        # A long address may break across lines; its letters stay in order.
        assert url in text.replace(" ", ""), layer.slug
        assert f"scores as of {SCORES_DATE}." in text, layer.slug
        assert [title in text for title in titles] == [
            True,
            True,
            True,
            False,
        ][: len(titles)], layer.slug


def test_the_longest_layer_keeps_scores_metrics_and_news_on_paper(page, shipped):
    layer = Layer.objects.get(slug="testing-and-safety-science")

    text = printed_text(print_to_pdf(page, shipped + layer.get_absolute_url()))

    assert "LEADER US & Allies by 3.0" in text
    assert "US & Allies 8.0/10 China 5.0/10" in text
    assert "Confidence in these scores: US & Allies medium, China medium." in text
    for metric in layer.metrics.all():
        assert metric.name in text
    assert "US & ALLIES 17 companies 2025" in text
    assert "Internal Safety Departments" in text
    assert "Printed in brief: the full analysis and every development are at" in text
    # Left out: the navigation and the charts, even in a branch that prints.
    for screen_only in ("Weigh the stack", "Score changes", "Download this layer"):
        assert screen_only not in text
    assert "System cards and safety policies at the leading labs" not in text


def test_printed_brief_keeps_running_text_readable(page, shipped):
    page.goto(shipped + "/layer/testing-and-safety-science/")
    page.emulate_media(media="print")

    points = page.evaluate(
        """() => [...document.querySelectorAll(
            ".layer-head__summary p, .scorecard__measure, .reason__text p,"
            + " .figure__value, .figure__note, .prose p, .development__title,"
            + " .cite-box__print")]
          .filter((el) => el.getClientRects().length)
          .map((el) => parseFloat(getComputedStyle(el).fontSize) * 0.75)"""
    )

    assert len(points) > 20
    assert round(min(points), 2) >= 8.5
