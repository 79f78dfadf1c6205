"""/news/: the public developments, newest first, filtered and a page at a time."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from news.models import Development
from news.views import DEVELOPMENTS_PER_PAGE
from tests.factories import add_development, make_layer

pytestmark = pytest.mark.django_db

NEWS = "/news/"
ITEM_TITLE = r'class="development__title news-item__title"><a href="([^"]+)">([^<]+)<'


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def titles(html):
    return [title for _, title in re.findall(ITEM_TITLE, html)]


@pytest.fixture
def memory():
    return make_layer("Memory", position=6)


@pytest.fixture
def talent():
    return make_layer("Talent", position=14)


def test_news_has_its_address():
    assert reverse("news:list") == NEWS


def test_lists_published_developments_newest_first(client, memory, talent):
    add_development(memory, "Oldest", days_ago=9)
    add_development(talent, "Newest", days_ago=1)
    add_development(memory, "Middle", days_ago=5)

    assert titles(page(client, NEWS)) == ["Newest", "Middle", "Oldest"]


def test_leaves_out_drafts_and_scheduled_items(client, memory):
    add_development(memory, "Public")
    add_development(memory, "Draft", status=Development.Status.DRAFT)
    add_development(memory, "Scheduled", days_ago=-1)

    assert titles(page(client, NEWS)) == ["Public"]


def test_each_item_links_to_its_page_and_its_layer(client, memory):
    development = add_development(memory, "HBM supply tightens")

    html = page(client, NEWS)

    assert re.findall(ITEM_TITLE, html) == [
        (development.get_absolute_url(), "HBM supply tightens")
    ]
    assert f'href="{memory.get_absolute_url()}">Memory</a>' in html


def test_each_items_category_links_to_the_news_of_that_category(client, memory):
    add_development(memory, "Chain news", category="Supply Chain")

    html = page(client, NEWS)

    assert (
        '<a class="development__category" href="/news/?category=supply-chain">'
        "Supply Chain</a>"
    ) in html


def test_shows_twenty_to_a_page(client, memory):
    for number in range(DEVELOPMENTS_PER_PAGE + 5):
        add_development(memory, f"Item {number:02}", days_ago=number + 1)

    first = titles(page(client, NEWS))
    second = titles(page(client, f"{NEWS}?page=2"))

    assert DEVELOPMENTS_PER_PAGE == 20
    assert first == [f"Item {n:02}" for n in range(20)]
    assert second == [f"Item {n:02}" for n in range(20, 25)]


def test_filters_by_layer(client, memory, talent):
    add_development(memory, "On memory")
    add_development(talent, "On talent")

    html = page(client, f"{NEWS}?layer=memory")

    assert titles(html) == ["On memory"]
    assert "<title>News: Memory · The AI Stack Tracker</title>" in html


def test_filters_by_category_slug(client, memory):
    add_development(memory, "Chain news", category="Supply Chain")
    add_development(memory, "Policy news", category="Policy")

    assert titles(page(client, f"{NEWS}?category=supply-chain")) == ["Chain news"]


def test_category_spellings_share_one_filter(client, memory):
    add_development(memory, "Upper", category="Supply Chain", days_ago=1)
    add_development(memory, "Lower", category="Supply chain", days_ago=2)

    assert titles(page(client, f"{NEWS}?category=supply-chain")) == ["Upper", "Lower"]


def test_filters_combine(client, memory, talent):
    add_development(memory, "Memory policy", category="Policy")
    add_development(memory, "Memory trade", category="Trade")
    add_development(talent, "Talent policy", category="Policy")

    html = page(client, f"{NEWS}?layer=memory&category=policy")

    assert titles(html) == ["Memory policy"]


def test_a_valid_combination_with_no_items_says_so(client, memory, talent):
    add_development(talent, "Talent policy", category="Policy")

    html = page(client, f"{NEWS}?layer=memory&category=policy")

    assert titles(html) == []
    assert "No published development matches these filters." in html


def test_filter_links_keep_the_other_filter(client, memory, talent):
    add_development(memory, "Memory policy", category="Policy")
    add_development(talent, "Talent policy", category="Policy")

    html = page(client, f"{NEWS}?layer=memory&category=policy")

    assert 'href="/news/?layer=talent&amp;category=policy"' in html
    assert 'href="/news/?category=policy"' in html  # All layers
    assert 'href="/news/?layer=memory"' in html  # All categories


def test_filter_links_mark_the_chosen_ones(client, memory, talent):
    add_development(memory, "Memory policy", category="Policy")

    html = page(client, f"{NEWS}?layer=memory")

    assert re.search(r'href="/news/\?layer=memory" aria-current="true">Memory', html)
    assert 'aria-current="true">All categories' in html
    assert 'aria-current="true">All layers' not in html


def test_paging_keeps_the_filters(client, memory, talent):
    for number in range(DEVELOPMENTS_PER_PAGE + 1):
        add_development(memory, f"Memory {number}", category="Policy")
    add_development(talent, "Talent policy", category="Policy")

    first = page(client, f"{NEWS}?layer=memory&category=policy")
    second = page(client, f"{NEWS}?layer=memory&category=policy&page=2")

    assert 'rel="next" href="/news/?layer=memory&amp;category=policy&amp;page=2"' in (
        first
    )
    assert 'rel="prev" href="/news/?layer=memory&amp;category=policy"' in second
    assert len(titles(second)) == 1


CHIP = r'<a class="chip" href="([^"]+)"( aria-current="true")?>([^<]+) <span'


def category_chips(html):
    """The category chips in sight, then the ones folded away, as
    (link, name, chosen) triples."""
    shown = re.search(
        r'<ul class="news-filter__list" aria-labelledby="filter-category">(.*?)</ul>',
        html,
        re.DOTALL,
    )[1]
    folded = re.search(
        r'<details class="news-filter__more">(.*?)</details>', html, re.DOTALL
    )
    return [
        [(link, name, bool(chosen)) for link, chosen, name in re.findall(CHIP, part)]
        for part in (shown, folded[1] if folded else "")
    ]


@pytest.fixture
def many_categories(memory):
    """Twelve categories: Policy five times, Trade four, Chips three, Visas
    twice, then eight used once."""
    once = ("Yield", "Energy", "Cloud", "Benchmarks")
    once += ("Adoption", "Hardware", "Foundry", "Memory")
    used = {"Policy": 5, "Trade": 4, "Chips": 3, "Visas": 2} | dict.fromkeys(once, 1)
    for name, count in used.items():
        for _ in range(count):
            add_development(memory, category=name)


def test_category_filter_shows_the_most_used_and_folds_away_the_rest(
    client, many_categories
):
    shown, folded = category_chips(page(client, NEWS))

    assert [name for _, name, _ in shown] == [
        "Policy", "Trade", "Chips", "Visas", "Adoption", "Benchmarks", "Cloud",
        "Energy",
    ]  # fmt: skip
    assert [name for _, name, _ in folded] == [
        "Foundry", "Hardware", "Memory", "Yield"
    ]  # fmt: skip
    html = page(client, NEWS)
    assert '<summary class="news-filter__toggle">4 more categories</summary>' in html


def test_a_folded_category_is_a_plain_link_that_keeps_the_layer(
    client, memory, many_categories
):
    _, folded = category_chips(page(client, f"{NEWS}?layer=memory"))

    assert ("/news/?layer=memory&amp;category=yield", "Yield", False) in folded
    yield_item = Development.objects.get(category="Yield")
    assert titles(page(client, f"{NEWS}?layer=memory&category=yield")) == [
        yield_item.title
    ]


def test_a_chosen_category_stays_in_sight_even_if_little_used(client, many_categories):
    shown, folded = category_chips(page(client, f"{NEWS}?category=yield"))

    assert shown[-1] == ("/news/?category=yield", "Yield", True)
    assert "Yield" not in [name for _, name, _ in folded]
    assert len(shown) == 9


def test_a_short_category_list_is_shown_whole(client, memory):
    for name in ("Policy", "Trade", "Chips"):
        add_development(memory, category=name)

    html = page(client, NEWS)
    shown, folded = category_chips(html)

    assert [name for _, name, _ in shown] == ["Chips", "Policy", "Trade"]
    assert folded == []
    assert "<details" not in html


def test_the_chosen_category_is_kept_on_every_page(client, memory, many_categories):
    for _ in range(DEVELOPMENTS_PER_PAGE):
        add_development(memory, category="Yield")

    second = page(client, f"{NEWS}?category=yield&page=2")

    shown, _ = category_chips(second)
    assert [chip for chip in shown if chip[2]] == [
        ("/news/?category=yield", "Yield", True)
    ]
    assert 'rel="prev" href="/news/?category=yield"' in second


@pytest.mark.parametrize("wanted", ["no-such-layer", "%00", "mem%00ory", "%ff"])
def test_unknown_layer_is_a_404(client, memory, wanted):
    assert client.get(f"{NEWS}?layer={wanted}").status_code == 404


def test_unknown_category_is_a_404(client, memory):
    add_development(memory, category="Policy")

    assert client.get(f"{NEWS}?category=no-such-category").status_code == 404


def test_a_category_found_on_another_layer_is_still_a_filter(client, memory, talent):
    add_development(talent, category="Trade")

    response = client.get(f"{NEWS}?layer=memory&category=trade")

    assert response.status_code == 200
    assert 'aria-current="true">Trade' in response.content.decode()


def test_empty_filters_are_no_filters(client, memory):
    add_development(memory, "Item")

    assert titles(page(client, f"{NEWS}?layer=&category=&page=")) == ["Item"]


def test_a_page_past_the_end_is_a_404(client, memory):
    add_development(memory)

    assert client.get(f"{NEWS}?page=2").status_code == 404


@pytest.mark.parametrize(
    "number", ["abc", "-1", "0", "1e9", "1.5", "99999999999999999999999", "%00"]
)
def test_a_malformed_page_number_is_a_404(client, memory, number):
    add_development(memory)

    assert client.get(f"{NEWS}?page={number}").status_code == 404


def test_the_first_page_may_be_named(client, memory):
    add_development(memory, "Item")

    assert titles(page(client, f"{NEWS}?page=1")) == ["Item"]


def test_with_nothing_published_the_list_is_empty_not_missing(client, db):
    html = page(client, NEWS)

    assert "0 developments." in html


def test_news_for_a_layer_address_opens_the_filtered_list(client, memory):
    response = client.get("/news/memory/")

    assert response.status_code == 302
    assert response["Location"] == f"{NEWS}?layer=memory"
    assert client.get("/news/no-such-layer/").status_code == 404


def test_header_links_the_news(client, db):
    html = page(client, NEWS)

    assert '<a href="/news/" aria-current="page">News</a>' in html
    assert '<a href="/news/">News</a>' in page(client, "/methodology/")


def test_news_only_answers_get(client, db):
    assert client.post(NEWS).status_code == 405


# Titles in any script


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("中国稀土出口管制", "中国稀土出口管制"),
        ("Η Ελλάδα επενδύει σε τσιπ", "η-ελλάδα-επενδύει-σε-τσιπ"),
        ("Россия и чипы", "россия-и-чипы"),
        ("مراكز البيانات", "مراكز-البيانات"),
        ("?!…", "item"),
    ],
)
def test_titles_in_any_script_get_a_working_page(client, memory, title, slug):
    development = add_development(memory, title)

    assert development.slug == slug
    html = page(client, development.get_absolute_url())
    assert f"{title}</h1>" in html
    assert development.get_absolute_url() in page(client, NEWS)


def test_punctuation_only_titles_on_one_layer_get_their_own_pages(client, memory):
    first = add_development(memory, "?!…", body="First.")
    second = add_development(memory, "???", body="Second.")

    assert (first.slug, second.slug) == ("item", "item-2")
    assert "First." in page(client, first.get_absolute_url())
    assert "Second." in page(client, second.get_absolute_url())


def test_a_repeated_title_on_one_layer_gets_its_own_page(client, memory):
    first = add_development(memory, "Export controls tighten")
    second = add_development(memory, "Export controls tighten")

    assert second.slug == "export-controls-tighten-2"
    assert first.get_absolute_url() != second.get_absolute_url()
    assert client.get(second.get_absolute_url()).status_code == 200


def test_non_latin_categories_filter_too(client, memory):
    add_development(memory, "Item", category="Политика")

    html = page(client, NEWS)
    link = re.search(r'href="/news/\?category=([^"]+)"', html)[1]

    assert titles(page(client, f"{NEWS}?category={link}")) == ["Item"]


def test_as_of_lists_what_was_public_at_the_end_of_that_day(client, memory):
    add_development(memory, "Thirty days back", days_ago=30)
    add_development(memory, "Ten days back", days_ago=10)
    add_development(memory, "Yesterday", days_ago=1)
    day = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()

    html = page(client, f"{NEWS}?layer=memory&as_of={day}")

    assert titles(html) == ["Ten days back", "Thirty days back"]
    assert "You are viewing the tracker as it stood on" in html
    assert "Developments published up to the end of" in html


def test_as_of_survives_the_filters_and_paging(client, memory, talent):
    for number in range(DEVELOPMENTS_PER_PAGE + 2):
        add_development(memory, f"Item {number}", days_ago=10 + number)
    day = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()

    html = page(client, f"{NEWS}?as_of={day}")

    assert f'rel="next" href="/news/?as_of={day}&amp;page=2"' in html
    assert f'href="/news/?layer=talent&amp;as_of={day}"' in html


def test_a_bad_or_future_as_of_lists_today_with_a_note(client, memory):
    add_development(memory, "Yesterday", days_ago=1)

    for value in ("2026-02-31", "soon", "2999-01-01"):
        response = client.get(f"{NEWS}?as_of={value}")
        assert response.status_code == 200
        html = response.content.decode()
        assert titles(html) == ["Yesterday"]
        assert "as it stood on" not in html
        assert 'class="as-of__text"' in html
