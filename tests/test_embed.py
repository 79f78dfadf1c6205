"""The comparison card other sites show in an iframe (/embed/layer/<slug>/),
the only page that may be framed, and the snippet each layer page offers."""

import datetime
import re
from html import unescape

import pytest
import time_machine
from django.core.cache import cache

from layers.models import Side
from tests.factories import add_score, make_layer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
EMBED = "/embed/layer/critical-minerals/"


@pytest.fixture(autouse=True)
def _clock_and_no_page_cache(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.PAGE_CACHE_SECONDS = 0
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def minerals():
    layer = make_layer("Critical Minerals", position=1)
    add_score(layer, Side.US, "4.0", datetime.date(2026, 1, 10))
    add_score(layer, Side.CHINA, "8.0", datetime.date(2026, 1, 10))
    add_score(layer, Side.US, "5.5", datetime.date(2026, 4, 1))
    add_score(layer, Side.US, "3.0", datetime.date(2026, 9, 15))
    return layer


def csp(response):
    return dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )


def words_of(html):
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([.,;])", r"\1", words)


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


# The card


def test_embed_shows_the_layer_both_scores_the_leader_and_the_date(client, minerals):
    html = get(client, EMBED).content.decode()

    words = words_of(html)
    assert "Critical Minerals" in words
    assert "US & Allies 3.0 /10 out of 10 China 8.0 /10 out of 10" in words
    assert "Leader China by 5.0" in words
    assert "Scores as of 15 Sep 2026" in words
    assert html.count('class="bar__fill"') == 2


def test_embed_links_back_to_the_full_page_in_a_new_tab(client, minerals):
    html = get(client, EMBED).content.decode()

    links = re.findall(r"<a [^>]*>", html)
    assert links
    for link in links:
        assert 'href="/layer/critical-minerals/"' in link
        assert 'target="_blank"' in link
        assert 'rel="noopener"' in link


def test_embed_is_its_own_minimal_page(client, minerals):
    html = get(client, EMBED).content.decode()

    assert html.lstrip().startswith("<!doctype html>")
    assert "site-header" not in html
    assert "site-nav" not in html
    assert "site-footer" not in html
    assert "<script" not in html
    assert " style=" not in html
    assert '<meta name="robots" content="noindex">' in html


def test_embed_on_a_past_day(client, minerals):
    html = get(client, f"{EMBED}?as_of=2026-03-31").content.decode()

    words = words_of(html)
    assert "US & Allies 4.0 /10 out of 10 China 8.0 /10 out of 10" in words
    assert "Leader China by 4.0" in words
    assert "As of 31 Mar 2026" in words
    assert 'href="/layer/critical-minerals/?as_of=2026-03-31"' in html


def test_embed_ignores_a_malformed_date(client, minerals):
    words = words_of(get(client, f"{EMBED}?as_of=nonsense").content.decode())

    assert "US & Allies 3.0" in words


def test_embed_of_an_unscored_layer_says_so(client):
    make_layer("Talent", position=14)

    words = words_of(get(client, "/embed/layer/talent/").content.decode())

    assert "Leader Not yet scored" in words


def test_embed_of_an_unknown_layer_is_not_found(client, minerals):
    assert client.get("/embed/layer/no-such-layer/").status_code == 404


def test_embed_costs_one_query(client, minerals, django_assert_num_queries):
    with django_assert_num_queries(1):
        get(client, EMBED)


# Framing


def test_embed_may_be_framed_by_the_allowed_sites(client, minerals, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://news.example.com"]

    response = get(client, EMBED)

    policy = csp(response)
    assert policy["frame-ancestors"] == "https://news.example.com"
    assert "X-Frame-Options" not in response
    # The rest of the policy stays as strict as everywhere else.
    assert policy["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["style-src"]


def test_embed_may_be_framed_anywhere_by_default(client, minerals):
    response = get(client, EMBED)

    assert csp(response)["frame-ancestors"] == "*"
    assert response.get("X-Frame-Options") != "DENY"


def test_embed_on_a_past_day_may_be_framed_too(client, minerals):
    response = get(client, f"{EMBED}?as_of=2026-03-31")

    assert csp(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?as_of=2026-03-31",
        "/layer/critical-minerals/",
        "/layer/critical-minerals/?as_of=2026-03-31",
        "/layer/critical-minerals/comparison/",
    ],
)
def test_every_other_page_refuses_to_be_framed(client, minerals, url):
    response = get(client, url)

    assert csp(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


# The snippet on the layer page


def snippet(html):
    match = re.search(
        r'<textarea [^>]*id="embed-code"[^>]*>(.*?)</textarea>', html, re.S
    )
    assert match, "no embed snippet"
    return unescape(match.group(1))


def test_layer_page_offers_the_embed_snippet(client, minerals):
    html = get(client, "/layer/critical-minerals/").content.decode()

    assert snippet(html) == (
        '<iframe src="http://testserver/embed/layer/critical-minerals/" '
        'width="400" height="220" '
        'title="Critical Minerals: US &amp; Allies vs China, The AI Stack Tracker" '
        'loading="lazy"></iframe>'
    )
    assert "Embed this comparison" in words_of(html)


def test_the_snippet_is_text_not_a_live_frame(client, minerals):
    html = get(client, "/layer/critical-minerals/").content.decode()

    assert "<iframe" not in html


def test_the_snippet_uses_the_address_the_site_was_reached_at(
    client, minerals, settings
):
    settings.ALLOWED_HOSTS = ["tracker.example.org"]

    html = client.get(
        "/layer/critical-minerals/", headers={"host": "tracker.example.org"}
    ).content.decode()

    assert 'src="http://tracker.example.org/embed/layer/critical-minerals/"' in (
        snippet(html)
    )


def test_the_snippet_on_a_past_day_embeds_that_day(client, minerals):
    html = get(client, "/layer/critical-minerals/?as_of=2026-03-31").content.decode()

    assert (
        'src="http://testserver/embed/layer/critical-minerals/?as_of=2026-03-31"'
        in snippet(html)
    )


def test_a_layer_name_cannot_break_out_of_the_snippet(client):
    make_layer('Chips "&" <b>Co</b>', slug="chips", position=3)

    html = get(client, "/layer/chips/").content.decode()

    assert "<b>Co</b>" not in html
    assert 'title="Chips &quot;&amp;&quot; &lt;b&gt;Co&lt;/b&gt;: US' in snippet(html)
