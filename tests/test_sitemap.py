"""sitemap.xml and robots.txt: what search engines are told about the site."""

import datetime
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.urls import reverse

from layers.models import Layer, Side
from news.models import Development
from tests.factories import (
    add_development,
    add_score,
    add_section,
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

    assert reverse("layers:home") in paths
    assert reverse("feeds:index") in paths
    assert reverse("layers:changes") in paths


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


def test_sitemap_of_the_real_content(client, stack):
    paths = entries(client)

    assert len([p for p in paths if p.startswith("/layer/")]) == Layer.objects.count()
    development_paths = [p for p in paths if p.startswith("/news/") and p != "/news/"]
    assert len(development_paths) == Development.objects.published().count()


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
