"""RSS and Atom feeds of the developments, and the page that lists them."""

import datetime
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import feedparser
import pytest
import time_machine
from django.urls import reverse

from layers.importer import import_document, publish_time
from news.models import Development
from tests.factories import add_development, make_layer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 15, 30, 45, tzinfo=datetime.UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
# "Thu, 03 Dec 2026 10:30:45 -0500": RFC 822 (as updated by RFC 2822).
RFC_822 = re.compile(
    r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)
# "2026-12-03T10:30:45-05:00", fractions of a second allowed: RFC 3339.
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)")
TAG_URI = re.compile(r"tag:[a-z0-9.-]+,\d{4}-\d{2}-\d{2}:development/\d+")
SITE_FEEDS = ("feeds:rss", "feeds:atom")
LAYER_FEEDS = ("feeds:layer-rss", "feeds:layer-atom")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def minerals(db):
    return make_layer("Critical Minerals", position=1)


@pytest.fixture
def talent(db):
    return make_layer("Talent", position=2)


@pytest.fixture
def published(clock, minerals):
    return add_development(
        minerals,
        "Gallium export licences tightened",
        body="Beijing **tightened** licences.",
        category="Trade",
        published_at=NOW - datetime.timedelta(hours=2),
    )


@pytest.fixture
def hidden(clock, minerals):
    """A draft and an item scheduled for an hour from now."""
    return (
        add_development(minerals, "Draft about magnets", status="draft", now=NOW),
        add_development(
            minerals,
            "Scheduled refinery news",
            published_at=NOW + datetime.timedelta(hours=1),
        ),
    )


def get_feed(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, response.status_code
    return response


def rss_items(client, *args, name="feeds:rss"):
    root = ET.fromstring(get_feed(client, name, *args).content)
    return root.findall("./channel/item")


def atom_entries(client, *args, name="feeds:atom"):
    root = ET.fromstring(get_feed(client, name, *args).content)
    return root.findall(f"{ATOM}entry")


def test_rss_feed_is_rss_2_with_the_channel_elements(client, published):
    response = get_feed(client, "feeds:rss")
    root = ET.fromstring(response.content)

    assert response["Content-Type"].startswith("application/rss+xml")
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "The AI Stack Tracker: developments"
    assert channel.findtext("link") == "http://testserver/"
    assert channel.findtext("description")


def test_rss_item_has_title_link_description_date_and_guid(client, published):
    (item,) = rss_items(client)

    assert item.findtext("title") == "Gallium export licences tightened"
    link = "http://testserver" + published.get_absolute_url()
    assert item.findtext("link") == link
    assert "<strong>tightened</strong>" in item.findtext("description")
    assert item.findtext("pubDate")
    assert item.findtext("guid")
    assert [c.text for c in item.findall("category")] == ["Trade", "Critical Minerals"]


def test_rss_dates_are_rfc_822_with_the_newsrooms_offset(client, published):
    (item,) = rss_items(client)
    pub_date = item.findtext("pubDate")

    assert RFC_822.fullmatch(pub_date), pub_date
    # 15:30:45 UTC less two hours, in New York in December (UTC-5).
    assert pub_date == "Thu, 03 Dec 2026 08:30:45 -0500"
    assert parsedate_to_datetime(pub_date) == published.published_at


def test_atom_feed_has_the_required_feed_elements(client, published):
    response = get_feed(client, "feeds:atom")
    root = ET.fromstring(response.content)

    assert response["Content-Type"].startswith("application/atom+xml")
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id")
    assert root.findtext(f"{ATOM}title") == "The AI Stack Tracker: developments"
    assert RFC_3339.fullmatch(root.findtext(f"{ATOM}updated"))
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "The AI Stack Tracker"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "http://testserver" + reverse("feeds:atom")


def test_atom_entry_has_id_title_link_and_dates(client, published):
    (entry,) = atom_entries(client)

    assert entry.findtext(f"{ATOM}title") == "Gallium export licences tightened"
    link = entry.find(f"{ATOM}link[@rel='alternate']")
    assert link.get("href") == "http://testserver" + published.get_absolute_url()
    assert TAG_URI.fullmatch(entry.findtext(f"{ATOM}id"))
    assert entry.find(f"{ATOM}summary").get("type") == "html"


def test_atom_dates_are_rfc_3339_with_the_newsrooms_offset(client, published):
    (entry,) = atom_entries(client)
    published_text = entry.findtext(f"{ATOM}published")
    updated_text = entry.findtext(f"{ATOM}updated")

    assert RFC_3339.fullmatch(published_text), published_text
    assert published_text == "2026-12-03T08:30:45-05:00"
    assert datetime.datetime.fromisoformat(published_text) == published.published_at
    assert RFC_3339.fullmatch(updated_text), updated_text
    assert datetime.datetime.fromisoformat(updated_text) >= published.published_at


@pytest.fixture
def undated(clock, minerals):
    """Listed as "Recent" in content imported on 3 December, as of 2 December."""
    return add_development(
        minerals,
        "Magnet plants planned",
        published_at=publish_time(datetime.date(2026, 12, 2)),
        date_is_known=False,
    )


def test_undated_item_carries_its_day_not_a_moment(client, undated):
    (item,) = rss_items(client)
    (entry,) = atom_entries(client)

    assert item.findtext("pubDate") == "Wed, 02 Dec 2026 00:00:00 -0500"
    assert entry.findtext(f"{ATOM}published") == "2026-12-02T00:00:00-05:00"
    assert entry.findtext(f"{ATOM}updated") == "2026-12-02T00:00:00-05:00"


def test_undated_item_says_its_date_is_not_known(client, undated, published):
    dated_item, undated_item = rss_items(client)

    note = "The source gives no date: listed as recent on 2 December 2026."
    assert note in undated_item.findtext("description")
    assert "no date" not in dated_item.findtext("description")


def test_imported_items_are_updated_when_published_not_when_imported(
    client, clock, stack_document
):
    clock.move_to(NOW + datetime.timedelta(days=3))
    import_document(stack_document, as_of=datetime.date(2026, 12, 2))

    root = ET.fromstring(get_feed(client, "feeds:atom").content)
    entries = root.findall(f"{ATOM}entry")

    assert entries
    for entry in entries:
        published = entry.findtext(f"{ATOM}published")
        assert entry.findtext(f"{ATOM}updated") == published
        assert published <= "2026-12-02T12:00:00-05:00"
    assert root.findtext(f"{ATOM}updated") == "2026-12-02T00:00:00-05:00"


def test_a_new_import_of_the_same_content_gives_the_same_dates(
    client, clock, stack_document
):
    def dates():
        return [
            (
                entry.findtext(f"{ATOM}title"),
                entry.findtext(f"{ATOM}published"),
                entry.findtext(f"{ATOM}updated"),
            )
            for entry in atom_entries(client)
        ]

    as_of = datetime.date(2026, 12, 2)
    import_document(stack_document, as_of=as_of)
    first = dates()
    Development.objects.all().delete()
    clock.move_to(NOW + datetime.timedelta(days=9, hours=7))
    import_document(stack_document, as_of=as_of)

    assert dates() == first
    # Listed as "Recent" in the content: the as-of day, not either import.
    midnight = "2026-12-02T00:00:00-05:00"
    assert ("EUV Lithography Remains Concentrated", midnight, midnight) in first


def test_an_edit_after_publication_is_the_items_update(client, clock, published):
    clock.move_to(NOW + datetime.timedelta(days=1))
    published.body = "Corrected."
    published.save()

    (entry,) = atom_entries(client)

    assert entry.findtext(f"{ATOM}updated") == "2026-12-04T10:30:45-05:00"
    assert entry.findtext(f"{ATOM}published") == "2026-12-03T08:30:45-05:00"


def test_an_edit_before_the_item_went_out_is_no_update(client, clock, hidden):
    _, scheduled = hidden
    scheduled.body = "Rewritten before it went out."
    scheduled.save()
    clock.move_to(scheduled.published_at)

    (entry,) = atom_entries(client)

    assert entry.findtext(f"{ATOM}updated") == entry.findtext(f"{ATOM}published")


def test_guid_is_a_tag_uri_that_is_not_a_permalink(client, published):
    (item,) = rss_items(client)
    guid = item.find("guid")

    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"tag:ai-stack-tracker,2026-12-03:development/{published.pk}"


def test_guid_stays_the_same_when_title_and_address_change(client, published):
    (before,) = rss_items(client)

    published.title = "Gallium and germanium licences tightened"
    published.slug = "gallium-and-germanium"
    published.save()
    (after,) = rss_items(client)

    assert after.findtext("link") != before.findtext("link")
    assert after.findtext("guid") == before.findtext("guid")


def test_title_with_markup_characters_reads_as_typed(client, clock, minerals):
    add_development(minerals, 'US & Allies <b>lead</b> "again"', now=NOW)

    for name in SITE_FEEDS:
        parsed = feedparser.parse(get_feed(client, name).content)
        assert parsed.entries[0].title == 'US & Allies <b>lead</b> "again"'


def test_body_markup_is_sanitized(client, clock, minerals):
    add_development(minerals, body="Fine <script>alert(1)</script> text", now=NOW)

    (item,) = rss_items(client)

    assert "<script" not in item.findtext("description")


@pytest.mark.parametrize("name", SITE_FEEDS)
def test_drafts_and_scheduled_items_are_not_in_the_feed(
    client, name, published, hidden
):
    parsed = feedparser.parse(get_feed(client, name).content)

    assert [e.title for e in parsed.entries] == [published.title]


@pytest.mark.parametrize("name", SITE_FEEDS)
def test_scheduled_item_enters_the_feed_at_its_time(
    client, clock, name, published, hidden
):
    _, scheduled = hidden
    clock.move_to(scheduled.published_at)

    parsed = feedparser.parse(get_feed(client, name).content)

    assert [e.title for e in parsed.entries] == [scheduled.title, published.title]


def test_feed_lists_newest_first(client, clock, minerals):
    for days in (3, 1, 2):
        add_development(minerals, f"{days} days ago", days_ago=days, now=NOW)

    titles = [item.findtext("title") for item in rss_items(client)]

    assert titles == ["1 days ago", "2 days ago", "3 days ago"]


@pytest.mark.parametrize("name", SITE_FEEDS)
def test_site_feed_parses_without_errors(client, name, published, talent):
    add_development(talent, "Visa rules eased", now=NOW)

    parsed = feedparser.parse(get_feed(client, name).content)

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version in {"rss20", "atom10"}
    assert len(parsed.entries) == 2


@pytest.mark.parametrize("name", LAYER_FEEDS)
def test_layer_feed_parses_and_holds_only_that_layer(client, name, published, talent):
    add_development(talent, "Visa rules eased", now=NOW)

    parsed = feedparser.parse(get_feed(client, name, talent.slug).content)

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "The AI Stack Tracker: Talent"
    assert parsed.feed.link == "http://testserver" + talent.get_absolute_url()
    assert [e.title for e in parsed.entries] == ["Visa rules eased"]


@pytest.mark.parametrize("name", LAYER_FEEDS)
def test_layer_feed_leaves_out_unpublished_items(client, name, published, hidden):
    parsed = feedparser.parse(get_feed(client, name, published.layer.slug).content)

    assert [e.title for e in parsed.entries] == [published.title]


@pytest.mark.parametrize("name", LAYER_FEEDS)
def test_feed_of_an_unknown_layer_is_not_found(client, db, name):
    assert client.get(reverse(name, args=["no-such-layer"])).status_code == 404


def test_empty_feed_is_still_valid(client, minerals):
    for name in SITE_FEEDS:
        parsed = feedparser.parse(get_feed(client, name).content)
        assert not parsed.bozo
        assert parsed.entries == []


def test_feed_query_count_does_not_grow_with_items(
    client, clock, minerals, talent, django_assert_num_queries
):
    add_development(minerals, now=NOW)
    with django_assert_num_queries(1):
        get_feed(client, "feeds:rss")

    for layer in (minerals, talent, minerals, talent):
        add_development(layer, now=NOW)
    with django_assert_num_queries(1):
        get_feed(client, "feeds:rss")


def test_feeds_page_lists_every_feed(client, minerals, talent):
    response = client.get(reverse("feeds:index"))
    html = response.content.decode()

    assert response.status_code == 200
    for name in SITE_FEEDS:
        assert f'href="{reverse(name)}"' in html
    for layer in (minerals, talent):
        for name in LAYER_FEEDS:
            assert f'href="{reverse(name, args=[layer.slug])}"' in html


def alternates(html):
    return set(
        re.findall(
            r'<link rel="alternate" type="([^"]+)" title="[^"]+" href="([^"]+)"', html
        )
    )


SITE_ALTERNATES = {
    ("application/rss+xml", "/feeds/developments.rss"),
    ("application/atom+xml", "/feeds/developments.atom"),
}


@pytest.mark.parametrize(
    "url", [reverse("layers:home"), reverse("feeds:index"), reverse("search")]
)
def test_every_page_advertises_the_site_feeds(client, db, url):
    html = client.get(url).content.decode()

    assert alternates(html) == SITE_ALTERNATES


def test_layer_page_advertises_its_own_feeds_too(client, minerals):
    html = client.get(minerals.get_absolute_url()).content.decode()

    assert alternates(html) == SITE_ALTERNATES | {
        ("application/rss+xml", "/feeds/layer/critical-minerals.rss"),
        ("application/atom+xml", "/feeds/layer/critical-minerals.atom"),
    }


def test_development_page_advertises_its_layers_feeds_too(client, published):
    html = client.get(published.get_absolute_url()).content.decode()

    assert alternates(html) == SITE_ALTERNATES | {
        ("application/rss+xml", "/feeds/layer/critical-minerals.rss"),
        ("application/atom+xml", "/feeds/layer/critical-minerals.atom"),
    }


def test_news_of_a_layer_advertises_that_layers_feeds_too(client, published, talent):
    html = client.get("/news/?layer=talent").content.decode()

    assert alternates(html) == SITE_ALTERNATES | {
        ("application/rss+xml", "/feeds/layer/talent.rss"),
        ("application/atom+xml", "/feeds/layer/talent.atom"),
    }


def test_news_of_a_category_advertises_the_site_feeds(client, published):
    html = client.get("/news/?category=trade").content.decode()

    assert alternates(html) == SITE_ALTERNATES


def test_real_content_feeds_parse_without_errors(client, stack):
    for name in SITE_FEEDS:
        parsed = feedparser.parse(get_feed(client, name).content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.entries
