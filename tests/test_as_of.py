"""The tracker on a past day: ``?as_of=YYYY-MM-DD`` on the home page, the layer
pages and the widgets shows the scores, leaders, score history and
developments as they stood at the end of that day in the site's time zone.

The hand-computed example: Critical Minerals, US & Allies 4.0 from 10 January
2026, 5.5 from 1 April, 3.0 from 15 September; China 8.0 from 10 January.

    as_of        US    China  leader
    2025-12-31   –     –      (no scores yet: first score 10 January 2026)
    2026-03-31   4.0   8.0    China by 4.0
    2026-04-01   5.5   8.0    China by 2.5
    2026-12-01   3.0   8.0    China by 5.0
"""

import datetime
import re
import zoneinfo
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from layers import asof
from layers.models import Layer, Side
from tests.factories import (
    add_development,
    add_score,
    add_scores,
    make_layer,
    make_state_of_the_stack,
)

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
FUTURE = "{day} is in the future, so today's scores are shown instead."


@pytest.fixture(autouse=True)
def _clock_and_no_page_cache(settings):
    settings.TIME_ZONE = "America/New_York"
    # Each request must reach the view: no page served from a shared cache.
    settings.PAGE_CACHE_SECONDS = 0
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def minerals():
    """The hand-computed example, and a layer above it scored once."""
    layer = make_layer("Critical Minerals", position=1)
    add_score(layer, Side.US, "4.0", datetime.date(2026, 1, 10), rationale="Jan.")
    add_score(layer, Side.CHINA, "8.0", datetime.date(2026, 1, 10))
    add_score(layer, Side.US, "5.5", datetime.date(2026, 4, 1), rationale="April.")
    add_score(layer, Side.US, "3.0", datetime.date(2026, 9, 15), rationale="Sept.")
    return layer


@pytest.fixture
def power(minerals):
    layer = make_layer("Power Infrastructure", position=2)
    add_scores(layer, "6.0", "6.0", as_of=datetime.date(2026, 2, 1))
    return layer


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response


def words_of(html):
    """The words of some HTML, tags dropped and spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([.,;])", r"\1", words)


def text_of(response):
    return words_of(response.content.decode())


def comparison(response, slug="critical-minerals"):
    """The words of one layer's comparison on the stack."""
    html = response.content.decode()
    start = html.index(">", html.index(f'id="compare-{slug}"')) + 1
    return words_of(html[start : html.index("</li>", start)])


def local(year, month, day, hour, minute):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


# Reading the date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-06-30", datetime.date(2026, 6, 30)),
        (" 2026-06-30 ", datetime.date(2026, 6, 30)),
        ("2026-12-03", datetime.date(2026, 12, 3)),
    ],
)
def test_parse_as_of_reads_a_past_day(raw, expected):
    request = RequestFactory().get("/", {"as_of": raw})

    assert asof.parse_as_of(request) == (expected, None)


def test_parse_as_of_without_the_parameter_means_now():
    assert asof.parse_as_of(RequestFactory().get("/")) == (None, None)
    assert asof.parse_as_of(RequestFactory().get("/?as_of=")) == (None, None)


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        ("bogus", asof.MALFORMED),
        ("2026-13-01", asof.MALFORMED),
        ("2026-02-30", asof.MALFORMED),
        ("30/06/2026", asof.MALFORMED),
        ("20260630", asof.MALFORMED),
        ("2026-W26-2", asof.MALFORMED),
        ("2026-6-3", asof.MALFORMED),
        ("\x00", asof.MALFORMED),
        ("9" * 5000, asof.MALFORMED),
        ("2026-12-04", FUTURE.format(day="4 December 2026")),
        ("9999-12-31", FUTURE.format(day="31 December 9999")),
        ("1999-12-31", asof.ABSURD),
        ("0001-01-01", asof.ABSURD),
    ],
)
def test_parse_as_of_sets_aside_a_bad_date_with_a_note(raw, note):
    request = RequestFactory().get("/", {"as_of": raw})

    assert asof.parse_as_of(request) == (None, note)


def test_parse_as_of_reads_a_link_with_too_many_fields(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    request = RequestFactory().get("/?a=1&b=2&c=3&d=4&as_of=2026-06-30")

    assert asof.parse_as_of(request) == (datetime.date(2026, 6, 30), None)


def test_future_is_judged_by_the_site_s_calendar():
    # 02:00 UTC on 4 December is still 3 December in New York.
    with time_machine.travel(datetime.datetime(2026, 12, 4, 2, 0, tzinfo=datetime.UTC)):
        request = RequestFactory().get("/", {"as_of": "2026-12-04"})

        assert asof.parse_as_of(request) == (
            None,
            "4 December 2026 is in the future, so today's scores are shown instead.",
        )


def test_end_of_day_is_the_last_moment_of_the_day_in_the_site_time_zone():
    end = asof.end_of_day(datetime.date(2026, 4, 1))

    assert end.tzinfo is not None
    assert end.astimezone(NEW_YORK).replace(tzinfo=None) == datetime.datetime(
        2026, 4, 1, 23, 59, 59, 999999
    )
    assert end.astimezone(datetime.UTC) == datetime.datetime(
        2026, 4, 2, 3, 59, 59, 999999, tzinfo=datetime.UTC
    )


# The scores on a day, in the QuerySet


@pytest.mark.parametrize(
    ("day", "us", "previous", "us_as_of"),
    [
        (datetime.date(2026, 1, 10), "4.0", None, datetime.date(2026, 1, 10)),
        (datetime.date(2026, 3, 31), "4.0", None, datetime.date(2026, 1, 10)),
        (datetime.date(2026, 4, 1), "5.5", "4.0", datetime.date(2026, 4, 1)),
        (datetime.date(2026, 12, 1), "3.0", "5.5", datetime.date(2026, 9, 15)),
        (None, "3.0", "5.5", datetime.date(2026, 9, 15)),
    ],
)
def test_with_current_scores_as_of_a_day(minerals, day, us, previous, us_as_of):
    layer = Layer.objects.with_current_scores(as_of=day).get(pk=minerals.pk)

    assert layer.us_score == Decimal(us)
    assert layer.us_previous == (Decimal(previous) if previous else None)
    assert str(layer.china_score) == "8.0"
    assert layer.us_as_of == us_as_of
    assert layer.leader == "China"


def test_with_current_scores_before_the_first_score_has_none(minerals):
    layer = Layer.objects.with_current_scores(as_of=datetime.date(2025, 12, 31)).get(
        pk=minerals.pk
    )

    assert layer.us_score is None
    assert layer.china_score is None
    assert layer.leader is None


# The home page on a day: the hand-computed example


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (
            "2026-03-31",
            "US & Allies 4.0 /10 out of 10 China 8.0 /10 out of 10 Leader China by 4.0",
        ),
        (
            "2026-04-01",
            "US & Allies 5.5 /10 out of 10 China 8.0 /10 out of 10 Leader China by 2.5",
        ),
        (
            "2026-12-01",
            "US & Allies 3.0 /10 out of 10 China 8.0 /10 out of 10 Leader China by 5.0",
        ),
    ],
)
def test_home_shows_the_scores_as_they_stood_that_day(client, minerals, day, words):
    response = get(client, f"/?as_of={day}")

    assert comparison(response).startswith(words)


def test_home_counts_the_leaders_of_that_day(client, power):
    response = get(client, "/?as_of=2026-03-31")

    assert response.context["tally"] == {"us": 0, "china": 1, "even": 1}


def test_home_on_a_day_before_power_was_scored_counts_only_minerals(client, power):
    response = get(client, "/?as_of=2026-01-31")

    assert response.context["tally"] == {"us": 0, "china": 1, "even": 0}
    assert "Power Infrastructure" in text_of(response)


def test_home_before_the_first_score_says_so_instead_of_empty_bars(client, minerals):
    response = get(client, "/?as_of=2025-12-31")

    words = text_of(response)
    assert "The tracker has no scores before 10 January 2026." in words
    html = response.content.decode()
    assert 'class="bar__fill"' not in html
    assert "compare-critical-minerals" not in html
    assert 'href="/?as_of=2026-01-10"' in html


def test_home_on_the_day_of_the_first_score_shows_it(client, minerals):
    response = get(client, "/?as_of=2026-01-10")

    assert "no scores before" not in text_of(response)
    assert comparison(response).startswith("US & Allies 4.0 /10")


def test_home_bannered_as_historical_with_a_way_back_to_today(client, minerals):
    response = get(client, "/?as_of=2026-06-30")

    words = text_of(response)
    assert (
        "You are viewing the tracker as it stood on 30 June 2026. "
        "See today's scores →" in words
    )
    assert 'class="as-of__today" href="/"' in response.content.decode()


def test_home_of_today_has_no_banner(client, minerals):
    response = get(client, "/")

    assert "You are viewing the tracker as it stood" not in text_of(response)
    assert 'class="as-of' not in response.content.decode().replace("as-of-form", "")


def test_todays_date_is_today_s_page(client, minerals):
    response = get(client, "/?as_of=2026-12-03")

    assert "You are viewing the tracker as it stood" not in text_of(response)
    assert response.context["as_of"] is None
    assert comparison(response).startswith("US & Allies 3.0 /10")


@pytest.mark.parametrize(
    "url", ["/", "/?as_of=2026-06-30", "/layer/critical-minerals/"]
)
def test_page_has_a_date_picker_that_works_without_javascript(client, minerals, url):
    html = get(client, url).content.decode()

    form = re.search(r'<form class="as-of-form" method="get" action="([^"]*)">', html)
    assert form, "no date picker"
    assert form.group(1) == url.split("?")[0]
    assert re.search(r'<input [^>]*type="date" name="as_of"', html)
    assert '<button class="as-of-form__button" type="submit">' in html


def test_date_picker_shows_the_day_viewed(client, minerals):
    html = get(client, "/?as_of=2026-06-30").content.decode()

    assert re.search(r'type="date" name="as_of" value="2026-06-30"', html)


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        ("bogus", "That date could not be read"),
        ("2026-02-30", "That date could not be read"),
        ("<script>alert(1)</script>", "That date could not be read"),
        ("2027-01-01", "1 January 2027 is in the future"),
        ("1800-01-01", "That date is too long ago"),
    ],
)
def test_bad_as_of_is_ignored_with_a_short_note(client, minerals, raw, note):
    response = client.get("/", {"as_of": raw})

    assert response.status_code == 200
    words = text_of(response)
    assert note in words
    assert "You are viewing the tracker as it stood" not in words
    assert comparison(response).startswith("US & Allies 3.0 /10")
    assert "<script>alert(1)" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/layer/critical-minerals/?as_of=2027-01-01",
        "/layer/critical-minerals/comparison/?as_of=2027-01-01",
        "/weigh/?as_of=2027-01-01",
        "/weakest-link/?as_of=2027-01-01",
    ],
)
def test_a_future_date_shows_today_with_a_note_on_every_page(client, minerals, url):
    response = get(client, url)

    words = text_of(response)
    assert (
        "1 January 2027 is in the future, so today's scores are shown instead." in words
    )
    assert "You are viewing the tracker as it stood" not in words
    assert response.context["as_of"] is None
    assert "3.0" in words  # today's US score, not an empty board


def test_a_future_date_on_a_layer_page_links_and_cites_today_s(client, minerals):
    html = get(client, "/layer/critical-minerals/?as_of=2027-01-01").content.decode()

    assert 'href="/data/scores.csv?layer=critical-minerals"' in html
    assert (
        '<link rel="canonical" href="http://testserver/layer/critical-minerals/">'
        in html
    )
    # Neither the downloads nor the citation carry the date set aside.
    assert "as_of=2027" not in html


def test_layer_links_from_a_historical_home_keep_the_day(client, power):
    html = get(client, "/?as_of=2026-06-30").content.decode()

    assert 'href="/layer/critical-minerals/?as_of=2026-06-30"' in html
    assert 'href="/layer/power-infrastructure/?as_of=2026-06-30"' in html
    # The comparisons and the weakest link refresh from the same day.
    assert 'hx-get="/layer/critical-minerals/comparison/?as_of=2026-06-30"' in html
    assert 'hx-get="/weakest-link/?as_of=2026-06-30"' in html


def test_historical_home_does_not_claim_to_be_current(client, minerals):
    make_state_of_the_stack("Today the race is close.")

    response = get(client, "/?as_of=2026-04-01")

    words = text_of(response)
    assert "Today the race is close." not in words
    assert "scores as of 1 April 2026" in words
    # The footer dates the scores shown, not the newest ones.
    assert "Scores as of 1 April 2026" in words
    assert "15 September 2026" not in words
    assert "current" not in words.lower()
    assert response["X-Robots-Tag"] == "noindex"


def test_today_s_home_is_indexed(client, minerals):
    assert "X-Robots-Tag" not in get(client, "/")


# The layer page on a day


def test_layer_page_shows_the_scores_and_leader_of_that_day(client, minerals):
    response = get(client, "/layer/critical-minerals/?as_of=2026-03-31")

    layer = response.context["layer"]
    assert (str(layer.us_score), str(layer.china_score)) == ("4.0", "8.0")
    words = text_of(response)
    assert "Score on 31 March 2026" in words
    assert "Leader China by 4.0" in words
    assert "Scores as of 10 January 2026." in words
    assert "Jan." in words
    assert "April." not in words


def test_layer_page_history_stops_at_that_day(client, minerals):
    response = get(client, "/layer/critical-minerals/?as_of=2026-04-01")

    history = response.context["score_history"]
    assert [(s.as_of.isoformat(), str(s.value)) for s in history.rows] == [
        ("2026-04-01", "5.5"),
        ("2026-01-10", "8.0"),
        ("2026-01-10", "4.0"),
    ]
    words = text_of(response)
    assert "15 Sep 2026" not in words
    assert "Sept." not in words
    assert "Since the previous assessment: US & Allies up 1.5" in words


def test_layer_page_history_ends_on_that_day_not_today(client, minerals):
    response = get(client, "/layer/critical-minerals/?as_of=2026-06-30")

    history = response.context["score_history"]
    assert history.end == datetime.date(2026, 6, 30)
    assert not history.end_is_today
    html = response.content.decode()
    assert ">30 Jun 2026</text>" in html
    assert ">Today</text>" not in html
    assert "to today</title>" not in html


def test_layer_page_before_its_first_score_says_so(client, minerals):
    response = get(client, "/layer/critical-minerals/?as_of=2025-12-31")

    words = text_of(response)
    assert (
        "The tracker has no scores for Critical Minerals before 10 January 2026."
        in words
    )
    html = response.content.decode()
    assert 'class="bar__fill"' not in html
    assert 'id="history"' not in html


def test_developments_are_those_public_at_the_end_of_that_day(client, minerals):
    before = add_development(
        minerals, "Stockpile announced", published_at=local(2026, 3, 2, 9, 0)
    )
    late_evening = add_development(
        minerals, "Late licence decision", published_at=local(2026, 4, 1, 23, 30)
    )
    next_morning = add_development(
        minerals, "Next morning tariff", published_at=local(2026, 4, 2, 8, 0)
    )
    draft = add_development(
        minerals,
        "Unpublished draft",
        published_at=local(2026, 3, 1, 9, 0),
        status="draft",
    )

    words = text_of(get(client, "/layer/critical-minerals/?as_of=2026-04-01"))

    assert "Developments up to 1 April 2026" in words
    assert before.title in words
    assert late_evening.title in words
    assert next_morning.title not in words
    assert draft.title not in words
    assert "Recent developments" not in words


def test_developments_scheduled_later_today_stay_hidden_on_today_s_date(
    client, minerals
):
    """The end of today is still ahead, but scheduled items are not yet public."""
    later = add_development(
        minerals, "Scheduled for tonight", published_at=local(2026, 12, 3, 22, 0)
    )

    words = text_of(get(client, "/layer/critical-minerals/?as_of=2026-12-03"))

    assert later.title not in words
    assert list(asof.developments_on(datetime.date(2026, 12, 3))) == []


def test_layer_page_links_keep_the_day(client, power):
    minerals = Layer.objects.get(slug="critical-minerals")
    power.related.add(minerals)

    html = get(client, "/layer/power-infrastructure/?as_of=2026-06-30").content.decode()

    # Breadcrumb, mini stack, related layer, layer below.
    assert 'href="/?as_of=2026-06-30#stack"' in html
    assert html.count('href="/layer/critical-minerals/?as_of=2026-06-30"') == 3
    assert 'href="/layer/power-infrastructure/?as_of=2026-06-30"' in html
    assert 'class="as-of__today" href="/layer/power-infrastructure/"' in html


def test_layer_page_malformed_as_of_shows_today_with_a_note(client, minerals):
    response = get(client, "/layer/critical-minerals/?as_of=2026-99-99")

    words = text_of(response)
    assert "That date could not be read" in words
    assert str(response.context["layer"].us_score) == "3.0"
    assert "Recent developments" in words


# The widgets on a day


def test_comparison_fragment_on_a_day(client, minerals):
    response = get(
        client, "/layer/critical-minerals/comparison/?as_of=2026-03-31", **HTMX
    )

    words = text_of(response)
    assert words.startswith("US & Allies 4.0 /10 out of 10 China 8.0 /10")
    assert "Leader China by 4.0" in words


def test_comparison_page_on_a_day_is_bannered_and_keeps_the_day(client, minerals):
    response = get(client, "/layer/critical-minerals/comparison/?as_of=2026-03-31")

    assert "as it stood on 31 March 2026" in text_of(response)
    assert 'href="/layer/critical-minerals/?as_of=2026-03-31"' in (
        response.content.decode()
    )


def test_weakest_link_on_a_day(client, power):
    response = get(client, "/weakest-link/?as_of=2026-03-31")

    weakest = response.context["weakest"]
    us = next(column for column in weakest.columns if column.side == Side.US)
    assert str(us.score) == "4.0"
    assert "as it stood on 31 March 2026" in text_of(response)
    assert 'href="/weigh/?as_of=2026-03-31"' in response.content.decode()


def test_weigh_on_a_day_keeps_the_day_in_the_form_and_links(client, power):
    response = get(client, "/weigh/?as_of=2026-03-31&w-power-infrastructure=0")

    assert str(response.context["weighing"].us) == "4.0"
    html = response.content.decode()
    assert '<input type="hidden" name="as_of" value="2026-03-31">' in html
    assert 'href="/weigh/?as_of=2026-03-31&amp;w-power-infrastructure=0"' in html
    assert "as_of" not in str(response.context["weights"].ignored)


def test_weigh_fragment_on_a_day_puts_the_day_in_the_address(client, power):
    response = get(client, "/weigh/?as_of=2026-03-31&w-power-infrastructure=0", **HTMX)

    assert response["HX-Replace-Url"] == (
        "/weigh/?as_of=2026-03-31&w-power-infrastructure=0"
    )


# Query counts


def _populate(size):
    for _ in range(size):
        layer = make_layer()
        add_scores(layer, "3.0", "6.0", as_of=datetime.date(2026, 1, 10))
        add_scores(layer, "4.0", "7.0", as_of=datetime.date(2026, 5, 1))
        add_development(layer, published_at=local(2026, 2, 1, 12, 0))


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/?as_of=2026-03-31",
        "/?as_of=2025-12-31",
        "/layer/critical-minerals/?as_of=2026-03-31",
        "/layer/critical-minerals/?as_of=2025-12-31",
        "/weakest-link/?as_of=2026-03-31",
        "/weigh/?as_of=2026-03-31",
    ],
)
def test_a_day_costs_the_same_queries_whatever_the_data(
    client, minerals, django_assert_num_queries, url
):
    _populate(1)
    expected = _count(client, url)
    _populate(5)

    with django_assert_num_queries(expected):
        get(client, url)


def test_layer_page_on_a_day_costs_what_today_s_does(client, minerals):
    _populate(3)

    assert _count(client, "/layer/critical-minerals/?as_of=2026-03-31") == _count(
        client, "/layer/critical-minerals/"
    )


def test_home_on_a_day_costs_no_more_than_today_s(client, minerals):
    _populate(3)
    make_state_of_the_stack()

    # Without the State of the Stack, which is today's.
    assert _count(client, "/?as_of=2026-03-31") == _count(client, "/") - 1


# The Content Security Policy


@pytest.mark.parametrize(
    "url", ["/?as_of=2026-06-30", "/layer/critical-minerals/?as_of=2025-12-31"]
)
def test_historical_pages_use_no_inline_styles(client, minerals, url):
    html = get(client, url).content.decode()

    assert " style=" not in html
    assert "<style" not in html
