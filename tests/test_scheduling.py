"""Drafts stay hidden; a scheduled development appears at its time, not before.

Nothing runs in the background: each page asks what is published as it is
built, so moving the clock is all it takes for an item to appear.
"""

import datetime

import pytest
import time_machine

from news.models import Development
from tests.factories import add_development, make_layer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 14, 0, tzinfo=datetime.UTC)
GOES_LIVE = NOW + datetime.timedelta(minutes=1)
ONE_SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def layer(db):
    return make_layer("Critical Minerals")


@pytest.fixture
def item(clock, layer):
    """A development scheduled one minute from now."""
    return add_development(layer, "Magnet plant opens", published_at=GOES_LIVE)


@pytest.fixture
def earlier(clock, layer):
    return add_development(layer, "Earlier item", days_ago=3, now=NOW)


def shown_on_layer_page(client, layer, title):
    response = client.get(layer.get_absolute_url())
    assert response.status_code == 200
    return title in response.content.decode()


def test_scheduled_item_is_not_on_its_layer_page_before_its_time(
    client, clock, layer, item
):
    assert not shown_on_layer_page(client, layer, item.title)

    clock.move_to(GOES_LIVE - ONE_SECOND)

    assert not shown_on_layer_page(client, layer, item.title)


def test_scheduled_item_is_on_its_layer_page_from_its_time(client, clock, layer, item):
    clock.move_to(GOES_LIVE)

    assert shown_on_layer_page(client, layer, item.title)


def test_scheduled_items_own_page_opens_at_its_time(client, clock, item):
    url = item.get_absolute_url()

    assert client.get(url).status_code == 404
    clock.move_to(GOES_LIVE - ONE_SECOND)
    assert client.get(url).status_code == 404
    clock.move_to(GOES_LIVE)
    assert client.get(url).status_code == 200


def test_scheduled_item_becomes_the_next_development_at_its_time(
    client, clock, earlier, item
):
    url = earlier.get_absolute_url()

    assert item.title not in client.get(url).content.decode()
    clock.move_to(GOES_LIVE)
    assert item.title in client.get(url).content.decode()


def test_published_asks_the_clock_each_time(clock, item):
    assert item not in Development.objects.published()

    clock.shift(datetime.timedelta(minutes=1))

    assert item in Development.objects.published()


@pytest.mark.parametrize("when", [NOW - datetime.timedelta(days=1), GOES_LIVE])
def test_draft_never_appears_whatever_the_time(client, clock, layer, when):
    draft = add_development(
        layer, "Draft item", status=Development.Status.DRAFT, published_at=when
    )

    for moment in (NOW, GOES_LIVE, NOW + datetime.timedelta(days=365)):
        clock.move_to(moment)

        assert not shown_on_layer_page(client, layer, draft.title)
        assert client.get(draft.get_absolute_url()).status_code == 404
        assert draft not in Development.objects.published()


@pytest.mark.parametrize("url", ["/", "/changes/"])
def test_other_public_pages_never_show_unpublished_items(client, clock, item, url):
    draft = add_development(
        item.layer, "Draft item", status=Development.Status.DRAFT, days_ago=1
    )

    html = client.get(url).content.decode()

    assert item.title not in html
    assert draft.title not in html
