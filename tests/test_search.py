"""Search over the layers and the public developments, at /search/."""

import datetime
import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from layers.search import MAX_QUERY_LENGTH, parse_query
from tests.factories import (
    add_development,
    add_metric,
    add_section,
    make_layer,
)

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)
ROOT = Path(__file__).resolve().parent.parent
HIT_TITLE = re.compile(r'class="hit__title"><a href="([^"]+)">(.*?)</a>', re.DOTALL)
MARKS = re.compile(r"<mark>(.*?)</mark>")


def search(client, q, **extra):
    response = client.get(reverse("search"), {"q": q}, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def search_raw(client, query_string):
    """Send a query string as it is, undecoded bytes and all."""
    response = client.get(f"{reverse('search')}?{query_string}")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def hits(html):
    """The results' (link, title text) pairs, in page order."""
    return [
        (url, unescape(re.sub(r"<[^>]+>", "", title)))
        for url, title in HIT_TITLE.findall(html)
    ]


def hit_titles(html):
    return [title for _, title in hits(html)]


@pytest.fixture
def minerals(db):
    layer = make_layer(
        "Critical Minerals",
        position=1,
        summary="China dominates **rare earth** refining.",
        measure="Net refining capacity for semiconductor minerals",
    )
    add_section(layer, "Concentration risk", body="Separation plants cluster.")
    add_metric(layer, "Refining share", formula="Refined output / global output")
    return layer


@pytest.fixture
def talent(db):
    return make_layer("Talent", position=2, summary="Researchers and engineers.")


# Finding layers


def test_finds_a_layer_by_its_name(client, minerals, talent):
    assert hit_titles(search(client, "talent")) == ["Talent"]


def test_finds_a_layer_by_its_measure(client, minerals, talent):
    assert hit_titles(search(client, "capacity")) == ["Critical Minerals"]


def test_finds_a_layer_by_its_summary(client, minerals, talent):
    assert hit_titles(search(client, "refining")) == ["Critical Minerals"]


def test_finds_a_layer_by_a_section_and_links_to_it(client, minerals, talent):
    html = search(client, "separation")
    section = minerals.sections.get()

    assert hit_titles(html) == ["Critical Minerals"]
    assert f'href="{minerals.get_absolute_url()}#section-{section.pk}"' in html
    assert "Concentration risk</a>" in html


def test_finds_a_layer_by_a_metric(client, minerals, talent):
    html = search(client, "share")

    assert hit_titles(html) == ["Critical Minerals"]
    assert "Key metric" in html


def test_words_may_match_in_different_parts_of_a_layer(client, minerals, talent):
    assert hit_titles(search(client, "separation refined")) == ["Critical Minerals"]


def test_every_word_must_match(client, minerals, talent):
    assert hit_titles(search(client, "separation researchers")) == []


# Finding developments


@pytest.fixture
def developments(minerals, talent):
    now = timezone.now()
    return {
        "title": add_development(
            talent, "Visa rules for researchers eased", body="Rules.", now=now
        ),
        "body": add_development(
            minerals,
            "Magnet plant opens",
            body="The plant hires researchers from abroad.",
            days_ago=2,
            now=now,
        ),
        "draft": add_development(talent, "Researchers draft", status="draft", now=now),
        "scheduled": add_development(
            talent,
            "Researchers scheduled",
            published_at=now + datetime.timedelta(hours=1),
        ),
    }


def test_finds_developments_by_title_and_body(client, developments):
    titles = hit_titles(search(client, "researchers"))

    assert developments["title"].title in titles
    assert developments["body"].title in titles


def test_finds_developments_by_category(client, talent):
    add_development(talent, "Visa rules", category="Immigration")

    assert "Visa rules" in hit_titles(search(client, "immigration"))


def test_links_each_development_to_its_page(client, developments):
    development = developments["title"]

    assert (development.get_absolute_url(), development.title) in hits(
        search(client, "visa")
    )


def test_drafts_and_scheduled_developments_are_never_found(client, developments):
    titles = hit_titles(search(client, "researchers"))

    assert developments["draft"].title not in titles
    assert developments["scheduled"].title not in titles


def test_title_match_ranks_above_a_body_only_match(client, developments):
    titles = hit_titles(search(client, "researchers"))
    found = [t for t in titles if t in (d.title for d in developments.values())]

    assert found == [developments["title"].title, developments["body"].title]


def test_title_match_ranks_above_a_newer_body_only_match(client, talent):
    add_development(talent, "Older: chip exports", body="Text.", days_ago=9)
    add_development(talent, "Newer item", body="About chip exports.", days_ago=1)

    assert hit_titles(search(client, "chip exports")) == [
        "Older: chip exports",
        "Newer item",
    ]


def test_layer_named_by_the_query_ranks_above_one_that_mentions_it(client, db):
    make_layer("Memory", position=1)
    make_layer("Power", position=2, summary="Data centres need memory and power.")

    assert hit_titles(search(client, "memory")) == ["Memory", "Power"]


@on_postgresql
def test_postgresql_finds_other_forms_of_a_word(client, talent):
    add_development(talent, "Chip exports", body="One chip.")

    assert hit_titles(search(client, "chips")) == ["Chip exports"]


@on_postgresql
def test_postgresql_understands_web_search_syntax(client, talent):
    add_development(talent, "Chip exports fall", body="Text.")
    add_development(talent, "Chip imports rise", body="Text.")

    assert hit_titles(search(client, "chip -exports")) == ["Chip imports rise"]
    assert hit_titles(search(client, '"imports rise"')) == ["Chip imports rise"]


# Showing the matches in context


def test_marks_the_matching_words(client, talent):
    add_development(talent, "Visa rules eased", body="Engineers get visas faster.")

    html = search(client, "visa")

    assert "<mark>Visa</mark> rules eased" in html


def test_excerpt_is_plain_text_without_markdown(client, talent):
    add_development(
        talent, "Update", body="A **bold** claim about [chips](https://example.com)."
    )

    html = search(client, "claim")
    excerpt = re.search(r'class="hit__text">(.*?)</p>', html, re.DOTALL)[1]

    assert "**" not in excerpt
    assert "](" not in excerpt
    assert "example.com" not in excerpt
    assert "<mark>claim</mark>" in excerpt


def test_excerpt_shows_the_text_around_a_match_in_a_long_body(client, talent):
    filler = " ".join(f"word{n}" for n in range(200))
    add_development(talent, "Long", body=f"{filler} the needle is here. {filler}")

    html = search(client, "needle")
    excerpt = re.search(r'class="hit__text">(.*?)</p>', html, re.DOTALL)[1]

    assert "<mark>needle</mark>" in excerpt
    assert len(re.sub(r"<[^>]+>", "", excerpt)) < 400


def test_typed_markup_is_escaped_not_rendered(client, talent):
    add_development(
        talent,
        "Chips <em>&</em> <script>alert(1)</script>",
        body='Chips <img src=x onerror="alert(2)"> and <b>more</b>.',
    )

    html = search(client, "chips")
    results = html[html.index('class="wrap search-results"') :]

    assert "<script>alert(1)" not in results
    assert "<img" not in results
    assert "<em>" not in results
    assert "&lt;em&gt;&amp;&lt;/em&gt;" in results
    assert MARKS.findall(results)


def test_markers_in_the_text_cannot_open_an_unclosed_mark(client, talent):
    add_development(talent, "Chips \ue000 and \ue001 \ue000", body="Chips.")

    html = search(client, "chips")

    assert html.count("<mark>") == html.count("</mark>")
    assert "\ue000" not in html and "\ue001" not in html


def test_query_is_shown_back_escaped(client, db):
    html = search(client, '<script>alert("q")</script>')

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;" in html


# Queries that need a word of help


def test_empty_query_explains_what_search_does(client, minerals):
    html = search(client, "")

    assert "Search the stack" in html
    assert hits(html) == []


def test_missing_query_parameter_is_like_an_empty_query(client, db):
    response = client.get(reverse("search"))

    assert response.status_code == 200
    assert "Search the stack" in response.content.decode()


def test_no_results_says_so_and_suggests_what_to_try(client, minerals):
    html = search(client, "zeppelin")

    assert "No results for “zeppelin”" in html
    assert "Check the spelling" in html


@pytest.mark.parametrize(
    "q",
    [
        "'&|!():*",
        "!!!",
        "   ",
        "…—–",
    ],
)
def test_query_without_words_gets_a_helpful_page(client, minerals, q):
    html = search(client, q)

    assert hits(html) == []
    if q.strip():
        assert "Nothing to search for" in html
    else:
        assert "Search the stack" in html


@pytest.mark.parametrize(
    "q",
    [
        "chips & !",
        "chips:* | (power",
        "'chips'",
        "chips <-> power",
        "\\",
        "'; DROP TABLE layers_layer; --",
        "%_%",
        "or",
        "-",
        '"',
        "the and of",
        "日本 半導体",
    ],
)
def test_search_syntax_and_sql_in_the_query_never_break_the_page(client, minerals, q):
    search(client, q)


@pytest.mark.parametrize(
    "query_string",
    ["q=chips%00", "q=%00", "q=%FF%FE", "q=%ED%A0%80", "q=%C3", "q=a&q=b", "q=%0A%0D"],
)
def test_undecodable_and_control_characters_are_ignored(client, minerals, query_string):
    search_raw(client, query_string)


def test_nul_bytes_are_dropped_from_the_query(client, talent):
    add_development(talent, "Chips plant", body="Text.")

    html = search_raw(client, "q=chi%00ps")

    assert hit_titles(html) == ["Chips plant"]


def test_very_long_query_is_cut_with_a_note(client, talent):
    add_development(talent, "Chips plant", body="Text.")

    html = search(client, "chips " + "x" * 5000)

    assert f"only its first {MAX_QUERY_LENGTH} characters were used" in html
    value = re.search(r'id="search-page-q"[^>]* value="([^"]*)"', html)[1]
    assert len(unescape(value)) <= MAX_QUERY_LENGTH


def test_query_of_many_words_still_answers(client, talent):
    add_development(talent, "Chips plant", body="Text.")

    search(client, " ".join(f"word{n}" for n in range(60)))


@pytest.mark.parametrize(
    ("raw", "text", "words"),
    [
        ("  export\tcontrols\n", "export controls", ("export", "controls")),
        ("Chips chips CHIPS", "Chips chips CHIPS", ("chips",)),
        ("a\x00b\x07c", "abc", ("abc",)),
        ("'&|!", "'&|!", ()),
    ],
)
def test_parse_query_cleans_the_text(raw, text, words):
    query = parse_query(raw)

    assert (query.text, query.words) == (text, words)


# The page around the results


def test_query_count_does_not_grow_with_the_results(client, db):
    def queries_for(q):
        with CaptureQueriesContext(connection) as captured:
            search(client, q)
        return len(captured)

    layer = make_layer("Chips", summary="About chips.")
    add_section(layer, body="Chips.")
    add_metric(layer, "Chips made")
    add_development(layer, "Chips news", body="Chips.")
    few = queries_for("chips")

    for n in range(5):
        other = make_layer(f"Chips {n}", summary="About chips.")
        for _ in range(3):
            add_section(other, body="More chips.")
            add_metric(other, f"Chips metric {n}-{_}")
            add_development(other, body="Chips again.")
    many = queries_for("chips")

    assert hits(search(client, "chips"))
    assert many == few


def test_search_needs_no_query_for_an_empty_search(client, db):
    def queries_for(q):
        with CaptureQueriesContext(connection) as captured:
            search(client, q)
        return len(captured)

    assert queries_for("") == queries_for("'&|!")


def test_every_page_has_a_labelled_search_box_in_its_header(client, minerals):
    for url in (reverse("layers:home"), minerals.get_absolute_url()):
        html = client.get(url).content.decode()
        header = html[html.index('<header class="site-header"') :]
        header = header[: header.index("</header>")]

        assert f'action="{reverse("search")}" method="get"' in header
        assert '<label class="visually-hidden" for="site-search-q">' in header
        assert 'id="site-search-q" type="search" name="q"' in header


def test_search_page_keeps_the_query_in_its_box(client, db):
    html = search(client, "export controls")

    assert 'name="q" value="export controls"' in html


def test_real_content_is_searchable(client, stack):
    html = search(client, "lithography")

    assert "Semiconductor Equipment" in hit_titles(html)
    assert MARKS.findall(html)


# Capitals in other scripts. SQLite folds only ASCII letters itself, so these
# run against a real SQLite database too, in a process of their own.

CASE_QUERIES = {
    "αι": {"ΑΙ ΣΤΗΝ ΕΛΛΆΔΑ", "Η αι στην Ελλάδα"},
    "ΑΙ": {"ΑΙ ΣΤΗΝ ΕΛΛΆΔΑ", "Η αι στην Ελλάδα"},
    "ελλάδα": {"Ελλάδα", "ΑΙ ΣΤΗΝ ΕΛΛΆΔΑ", "Η αι στην Ελλάδα"},
    "ΕΛΛΆΔΑ": {"Ελλάδα", "ΑΙ ΣΤΗΝ ΕΛΛΆΔΑ", "Η αι στην Ελλάδα"},
    "ЧИПЫ": {"Чипы из Тайваня"},
}

ON_SQLITE = """
import json
import django

django.setup()
from django.core.management import call_command
from django.test import Client

from tests.test_search import CASE_QUERIES, add_capitalised_content

call_command("migrate", verbosity=0)
add_capitalised_content()
client = Client()
pages = {}
for q in CASE_QUERIES:
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200, response.status_code
    pages[q] = response.content.decode()
print(json.dumps(pages))
"""


def add_capitalised_content():
    greece = make_layer("Ελλάδα", slug="greece", summary="Chips made in Greece.")
    add_development(greece, "ΑΙ ΣΤΗΝ ΕΛΛΆΔΑ", body="Νέο κέντρο δεδομένων.")
    add_development(greece, "Η αι στην Ελλάδα", body="Σχέδιο για τα τσιπ.")
    taiwan = make_layer("Taiwan", slug="taiwan", summary="Foundries.")
    add_development(taiwan, "Чипы из Тайваня", body="Новые заводы.")


@pytest.fixture(scope="module")
def sqlite_pages(tmp_path_factory):
    """The search pages for CASE_QUERIES, from a site running on SQLite."""
    tmp_path = tmp_path_factory.mktemp("sqlite")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        "REDIS_URL": "",
        "PAGE_CACHE_SECONDS": "0",
        # Static files straight from static/, with no collectstatic first.
        "DEBUG": "True",
        "ALLOWED_HOSTS": "testserver",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", ON_SQLITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_search_matches_capitals_in_any_script(sqlite_pages):
    for q, titles in CASE_QUERIES.items():
        assert set(hit_titles(sqlite_pages[q])) == titles, q


def test_sqlite_search_marks_capitals_in_any_script(sqlite_pages):
    assert "<mark>ΑΙ</mark> ΣΤΗΝ ΕΛΛΆΔΑ" in sqlite_pages["αι"]
    assert "ΑΙ ΣΤΗΝ <mark>ΕΛΛΆΔΑ</mark>" in sqlite_pages["ελλάδα"]


@on_postgresql
def test_postgresql_matches_capitals_in_any_script_the_same_way(client, db):
    add_capitalised_content()

    for q, titles in CASE_QUERIES.items():
        assert set(hit_titles(search(client, q))) == titles, q
