"""Each development's own page, and the preview staff get of unpublished ones."""

import datetime
import re

import pytest
from django.utils import timezone

from news.models import Development
from tests.factories import add_development, add_scores, make_layer

pytestmark = pytest.mark.django_db

BANNER = "Not yet public"
# The development and its layer, the scores it moved, the layer's scores, the
# older and newer developments, the footer's data date.
DEVELOPMENT_QUERIES = 6


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))
    return client


@pytest.fixture
def reader_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    return client


def draft(layer=None, **fields):
    return add_development(
        layer or make_layer(), "Draft item", status=Development.Status.DRAFT, **fields
    )


def scheduled(layer=None, **fields):
    return add_development(
        layer or make_layer(), "Scheduled item", days_ago=-1, **fields
    )


# The public page


def test_development_has_a_readable_address_under_its_layer():
    development = add_development(
        make_layer("Critical Minerals"), "China restricts gallium exports"
    )

    assert development.get_absolute_url() == (
        "/news/critical-minerals/china-restricts-gallium-exports/"
    )


def test_development_page_shows_title_layer_category_date_and_body(client):
    layer = make_layer("Critical Minerals", position=1)
    development = add_development(
        layer,
        "China restricts gallium exports",
        category="Trade",
        body="Licences are now *required*.",
        published_at=datetime.datetime(2026, 11, 18, 17, tzinfo=datetime.UTC),
    )

    html = page(client, development.get_absolute_url())

    assert '<h1 id="development-title" class="news-head__title">' in html
    assert "China restricts gallium exports</h1>" in html
    assert f'<a href="{layer.get_absolute_url()}">Critical Minerals</a>' in html
    assert (
        '<a class="development__category" href="/news/?category=trade">Trade</a>'
    ) in html
    assert (
        '<time class="development__when" datetime="2026-11-18T12:00:00-05:00">'
        "18 November 2026</time>"
    ) in html
    assert "Licences are now <em>required</em>." in html
    assert "<title>China restricts gallium exports · Critical Minerals" in html


def test_category_links_to_the_news_of_that_category(client):
    layer = make_layer("Critical Minerals")
    development = add_development(layer, "Gallium", category="Supply Chain")
    add_development(make_layer("Talent"), "Visas", category="Supply chain")
    add_development(layer, "Refinery", category="Policy")

    html = page(client, development.get_absolute_url())
    link = re.search(r'<a class="development__category" href="([^"]+)">', html)[1]

    assert link == "/news/?category=supply-chain"
    listed = re.findall(r'news-item__title"><a [^>]+>([^<]+)<', page(client, link))
    assert sorted(listed) == ["Gallium", "Visas"]


def test_a_category_in_another_script_links_to_its_news(client):
    development = add_development(make_layer(), "Новости", category="Политика")

    html = page(client, development.get_absolute_url())
    link = re.search(r'<a class="development__category" href="([^"]+)">', html)[1]

    assert "Новости" in page(client, link)


def test_development_page_links_all_the_news_of_its_layer(client):
    layer = make_layer("Critical Minerals")
    development = add_development(layer)

    html = page(client, development.get_absolute_url())

    assert (
        '<a href="/news/?layer=critical-minerals">All developments on Critical '
        "Minerals</a>"
    ) in html


def test_times_in_the_markup_are_whole_seconds(client):
    layer = make_layer("Critical Minerals", position=1)
    development = add_development(
        layer,
        published_at=datetime.datetime(2026, 11, 18, 17, 0, 5, 20541, datetime.UTC),
    )

    for url in (development.get_absolute_url(), layer.get_absolute_url(), "/news/"):
        html = page(client, url)
        assert 'datetime="2026-11-18T12:00:05-05:00"' in html, url
        assert "12:00:05.020541" not in html, url


def test_development_page_shows_recent_when_the_date_is_unknown(client):
    development = add_development(make_layer(), date_is_known=False)

    html = page(client, development.get_absolute_url())

    assert '<span class="development__when">Recent</span>' in html
    assert '<time class="development__when"' not in html


def test_development_page_shows_its_layers_scores(client):
    layer = make_layer("Critical Minerals")
    add_scores(layer, "4.0", "8.0")
    development = add_development(layer)

    html = page(client, development.get_absolute_url())

    assert '<span class="leader__name">China</span>' in html
    assert "8.0<span" in html


def test_development_with_a_unicode_slug_has_its_own_page(client):
    development = add_development(make_layer(), "中国稀土出口管制")

    assert development.slug == "中国稀土出口管制"
    html = page(client, development.get_absolute_url())

    assert "中国稀土出口管制</h1>" in html


def test_development_page_links_the_previous_and_next_of_the_same_layer(client):
    layer = make_layer()
    older = add_development(layer, "Older item", days_ago=9)
    middle = add_development(layer, "Middle item", days_ago=5)
    newer = add_development(layer, "Newer item", days_ago=2)
    add_development(make_layer(), "Other layer item", days_ago=4)
    draft(layer, days_ago=3)
    scheduled(layer)

    html = page(client, middle.get_absolute_url())

    assert re.search(
        rf'href="{older.get_absolute_url()}" rel="prev">.*?Older item', html, re.S
    )
    assert re.search(
        rf'href="{newer.get_absolute_url()}" rel="next">.*?Newer item', html, re.S
    )
    assert "Other layer item" not in html
    assert "Draft item" not in html
    assert "Scheduled item" not in html


def test_development_page_orders_same_time_items_by_entry(client):
    layer = make_layer()
    now = timezone.now()
    first = add_development(layer, "First in", days_ago=1, now=now)
    second = add_development(layer, "Second in", days_ago=1, now=now)

    html = page(client, first.get_absolute_url())

    assert f'href="{second.get_absolute_url()}" rel="next"' in html
    assert 'rel="prev"' not in html


def test_only_development_of_a_layer_links_no_neighbours(client):
    development = add_development(make_layer())

    html = page(client, development.get_absolute_url())

    assert 'class="neighbours' not in html


def test_development_page_never_shows_the_preview_banner_when_public(
    staff_client,
):
    development = add_development(make_layer())

    html = page(staff_client, development.get_absolute_url())

    assert BANNER not in html
    assert 'name="robots"' not in html


def test_layer_page_links_each_development_title_to_its_page(client):
    development = add_development(make_layer(), "Gallium curbs")

    html = page(client, development.layer.get_absolute_url())

    assert f'<a href="{development.get_absolute_url()}">Gallium curbs</a></h3>' in html


@pytest.mark.parametrize("count", [1, 8])
def test_development_page_runs_the_same_queries_whatever_the_data(
    client, django_assert_num_queries, count
):
    layer = make_layer()
    add_scores(layer, "4.0", "8.0")
    items = [add_development(layer, days_ago=n) for n in range(count * 2 + 1)]

    with django_assert_num_queries(DEVELOPMENT_QUERIES):
        response = client.get(items[count].get_absolute_url())

    assert response.status_code == 200


# Addresses that are not public


@pytest.mark.parametrize("make", [draft, scheduled])
def test_unpublished_development_is_a_404_for_anonymous_readers(client, make):
    development = make()

    response = client.get(development.get_absolute_url())

    assert response.status_code == 404
    assert "This page is not in the stack" in response.content.decode()
    assert development.title not in response.content.decode()


@pytest.mark.parametrize("make", [draft, scheduled])
def test_unpublished_development_is_a_404_for_signed_in_non_staff(reader_client, make):
    development = make()

    response = reader_client.get(development.get_absolute_url())

    assert response.status_code == 404


def test_staff_preview_a_draft_under_a_banner_that_says_draft(staff_client):
    development = draft(body="Still *rough*.")

    html = page(staff_client, development.get_absolute_url())

    assert BANNER in html
    assert "This development is a draft." in html
    assert "Still <em>rough</em>." in html
    assert f'href="/admin/news/development/{development.pk}/change/"' in html


def test_staff_preview_a_scheduled_item_with_its_go_live_time_in_site_time(
    staff_client,
):
    goes_live = datetime.datetime(2027, 1, 15, 15, 30, tzinfo=datetime.UTC)
    development = add_development(make_layer(), published_at=goes_live)

    html = page(staff_client, development.get_absolute_url())

    assert BANNER in html
    assert (
        'Scheduled: readers will see this page from <time datetime="'
        '2027-01-15T10:30:00-05:00">15 January 2027, 10:30 a.m. EST</time>.'
    ) in html


def test_preview_is_never_cached_or_indexed(staff_client):
    response = staff_client.get(draft().get_absolute_url())

    assert "no-store" in response.headers["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in (
        response.content.decode()
    )


def test_development_under_another_layers_address_is_a_404(client):
    development = add_development(make_layer("Talent"))
    make_layer("Critical Minerals")

    response = client.get(f"/news/critical-minerals/{development.slug}/")

    assert response.status_code == 404


def test_unknown_development_is_a_404(client):
    make_layer("Critical Minerals")

    assert client.get("/news/critical-minerals/no-such-item/").status_code == 404


def test_development_page_only_answers_get(client):
    development = add_development(make_layer())

    assert client.post(development.get_absolute_url()).status_code == 405


def test_development_page_has_no_inline_style(staff_client):
    development = scheduled()

    html = page(staff_client, development.get_absolute_url())

    assert "style=" not in html
    assert "<style" not in html
