"""sitemap.xml and robots.txt: what search engines are told about the site."""

import datetime
import io
import re
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from charts.models import Chart, ChartPage
from layers.models import Layer, Page, Side
from news.models import Development
from tests.conftest import CONTENT_DOCUMENT
from tests.factories import (
    add_chart,
    add_chart_page,
    add_development,
    add_metric,
    add_score,
    add_section,
    add_value,
    make_layer,
    make_state_of_the_stack,
)

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DAY = datetime.timedelta(days=1)
START = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def entries(client):
    """Map each path in the sitemap to its lastmod (a datetime, or None)."""
    response = client.get(reverse("sitemap"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    found = {}
    for url in root.findall(f"{SITEMAP}url"):
        location = url.findtext(f"{SITEMAP}loc")
        assert location.startswith("http://testserver/")
        lastmod = url.findtext(f"{SITEMAP}lastmod")
        found[location.removeprefix("http://testserver")] = (
            datetime.datetime.fromisoformat(lastmod) if lastmod else None
        )
    return found


@pytest.fixture
def minerals(clock):
    layer = make_layer("Critical Minerals", position=1)
    add_score(layer, Side.US, "4.0")
    return layer


def test_lists_the_home_page_and_the_site_pages(client, minerals):
    paths = entries(client)

    assert {
        "/",
        "/changes/",
        "/weigh/",
        "/weakest-link/",
        "/news/",
        "/feeds/",
        "/methodology/",
        "/data/",
        "/api/v1/docs",
    } <= set(paths)


def test_api_documentation_has_no_lastmod_as_it_changes_with_the_code(client, minerals):
    assert entries(client)["/api/v1/docs"] is None


def test_lists_each_layers_comparison_page(client, minerals):
    talent = make_layer("Talent", position=2)

    paths = entries(client)

    assert reverse("layers:comparison", args=[minerals.slug]) in paths
    assert reverse("layers:comparison", args=[talent.slug]) in paths


def test_lists_the_effective_compute_page_only_where_the_layer_has_it(client, minerals):
    accelerators = make_layer("AI Accelerators", position=6)
    add_metric(accelerators, "Units shipped", key="units-shipped")

    paths = entries(client)

    assert reverse("layers:effective_compute", args=[accelerators.slug]) in paths
    assert reverse("layers:effective_compute", args=[minerals.slug]) not in paths


def test_lists_a_chart_page_and_its_charts_once_a_chart_is_shown(client, minerals):
    page = add_chart_page(minerals)
    chart = add_chart(minerals, page=page, is_shown=False)

    paths = entries(client)
    assert page.get_absolute_url() not in paths
    assert reverse("charts:detail", args=[chart.slug]) not in paths

    chart.is_shown = True
    chart.save()

    paths = entries(client)
    assert page.get_absolute_url() in paths
    assert reverse("charts:detail", args=[chart.slug]) in paths


def test_chart_page_lastmod_follows_an_edited_chart(client, clock, minerals):
    page = add_chart_page(minerals)
    chart = add_chart(minerals, page=page)
    clock.move_to(START + 2 * DAY)
    chart.note = "Read the bars from the left."
    chart.save()

    paths = entries(client)

    assert paths[page.get_absolute_url()] == START + 2 * DAY
    assert paths[reverse("charts:detail", args=[chart.slug])] == START + 2 * DAY


def test_layer_lastmod_follows_a_chart_on_its_page(client, clock, minerals):
    chart = add_chart(minerals)
    clock.move_to(START + 2 * DAY)
    chart.sources = "USGS (2025)"
    chart.save()

    assert entries(client)[minerals.get_absolute_url()] == START + 2 * DAY


def test_weigh_and_weakest_link_lastmods_follow_a_new_score(client, clock, minerals):
    clock.move_to(START + 3 * DAY)
    add_score(minerals, Side.CHINA, "8.0")
    clock.move_to(START + 4 * DAY)
    make_state_of_the_stack()

    paths = entries(client)

    assert paths["/weigh/"] == START + 3 * DAY
    assert paths["/weakest-link/"] == START + 3 * DAY
    assert paths[reverse("layers:comparison", args=[minerals.slug])] == (
        START + 3 * DAY
    )


def test_data_and_methodology_lastmods_follow_a_corrected_source(
    client, clock, minerals
):
    # The migration wrote the methodology's text when the database was made.
    Page.objects.filter(slug=Page.METHODOLOGY).update(updated_at=START)
    figure = add_value(add_metric(minerals, "Refining share"), Side.CHINA, 92)
    clock.move_to(START + 5 * DAY)
    figure.source = "IEA, Global Critical Minerals Outlook 2025"
    figure.save()
    clock.move_to(START + 6 * DAY)

    paths = entries(client)

    assert paths["/data/"] == START + 5 * DAY
    assert paths["/methodology/"] == START + 5 * DAY
    assert paths["/weigh/"] == START


def test_leaves_out_the_search_page(client, minerals):
    assert not any(path.startswith(reverse("search")) for path in entries(client))


def test_lists_every_layer(client, minerals):
    talent = make_layer("Talent", position=2)

    paths = entries(client)

    assert minerals.get_absolute_url() in paths
    assert talent.get_absolute_url() in paths


def test_lists_public_developments_only(client, clock, minerals):
    public = add_development(minerals, "Public", now=START)
    draft = add_development(minerals, "Draft", status="draft", now=START)
    scheduled = add_development(minerals, "Later", published_at=START + DAY)

    paths = entries(client)

    assert public.get_absolute_url() in paths
    assert draft.get_absolute_url() not in paths
    assert scheduled.get_absolute_url() not in paths


def test_scheduled_development_appears_once_its_time_comes(client, clock, minerals):
    scheduled = add_development(minerals, "Later", published_at=START + DAY)

    clock.move_to(START + DAY - datetime.timedelta(seconds=1))
    assert scheduled.get_absolute_url() not in entries(client)

    clock.move_to(START + DAY)
    assert scheduled.get_absolute_url() in entries(client)


def test_lastmods_carry_the_time_and_its_offset(client, clock, minerals):
    lastmod = entries(client)[minerals.get_absolute_url()]

    assert lastmod.utcoffset() is not None
    assert lastmod == START


def test_layer_lastmod_follows_its_own_edits(client, clock, minerals):
    clock.move_to(START + DAY)
    minerals.summary = "New summary."
    minerals.save()

    assert entries(client)[minerals.get_absolute_url()] == START + DAY


def test_layer_lastmod_follows_a_new_score(client, clock, minerals):
    clock.move_to(START + 2 * DAY)
    add_score(minerals, Side.CHINA, "8.0")

    assert entries(client)[minerals.get_absolute_url()] == START + 2 * DAY


def test_layer_lastmod_follows_an_edited_section(client, clock, minerals):
    section = add_section(minerals)
    clock.move_to(START + 3 * DAY)
    section.body = "Rewritten."
    section.save()

    assert entries(client)[minerals.get_absolute_url()] == START + 3 * DAY


def test_layer_lastmod_follows_a_development_only_once_it_is_public(
    client, clock, minerals
):
    add_development(minerals, "Later", published_at=START + 5 * DAY)

    assert entries(client)[minerals.get_absolute_url()] == START

    clock.move_to(START + 6 * DAY)
    assert entries(client)[minerals.get_absolute_url()] == START + 5 * DAY


def test_layer_lastmod_ignores_drafts(client, clock, minerals):
    clock.move_to(START + DAY)
    add_development(minerals, "Draft", status="draft", now=START + DAY)

    assert entries(client)[minerals.get_absolute_url()] == START


def test_development_lastmod_is_its_publish_time(client, clock, minerals):
    scheduled = add_development(minerals, "Later", published_at=START + DAY)
    clock.move_to(START + 2 * DAY)

    assert entries(client)[scheduled.get_absolute_url()] == START + DAY


def test_development_lastmod_follows_a_later_edit(client, clock, minerals):
    development = add_development(minerals, "Public", now=START)
    clock.move_to(START + 4 * DAY)
    development.body = "Corrected."
    development.save()

    assert entries(client)[development.get_absolute_url()] == START + 4 * DAY


def test_home_lastmod_is_the_latest_change_it_shows(client, clock, minerals):
    clock.move_to(START + DAY)
    make_state_of_the_stack()
    clock.move_to(START + 3 * DAY)

    assert entries(client)[reverse("layers:home")] == START + DAY


@pytest.fixture
def shipped_content(db):
    """The content document with its figures and charts, as make run loads it."""
    call_command(
        "import_stack",
        str(CONTENT_DOCUMENT),
        "--as-of",
        "2026-12-02",
        stdout=io.StringIO(),
    )


def test_sitemap_of_the_real_content(client, shipped_content):
    paths = entries(client)

    layer_paths = [p for p in paths if re.fullmatch(r"/layer/[-\w]+/", p)]
    assert len(layer_paths) == Layer.objects.count()
    development_paths = [p for p in paths if p.startswith("/news/") and p != "/news/"]
    assert len(development_paths) == Development.objects.published().count()
    assert "/layer/fabrication/capacity/" in paths
    assert "/layer/ai-accelerators/effective-compute/" in paths
    chart_paths = [p for p in paths if p.startswith("/charts/")]
    assert len(chart_paths) == Chart.objects.shown().count()
    assert ChartPage.objects.count() == 1


def test_every_address_in_the_sitemap_opens(client, shipped_content):
    for path in entries(client):
        assert client.get(path).status_code == 200, path


def test_robots_txt_points_to_the_sitemap_and_keeps_out_of_the_admin(client, db):
    response = client.get("/robots.txt")
    lines = response.content.decode().splitlines()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_robots_txt_names_the_sitemap_on_the_host_asked_for(client, db, settings):
    settings.ALLOWED_HOSTS = ["tracker.example.org"]

    response = client.get("/robots.txt", HTTP_HOST="tracker.example.org", secure=True)

    assert "Sitemap: https://tracker.example.org/sitemap.xml" in (
        response.content.decode().splitlines()
    )
