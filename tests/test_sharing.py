"""Sharing a page: its canonical address, title, description and share card,
the picture drawn for each layer, and the citation and print styles."""

import datetime
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from PIL import Image

from layers import social
from layers.models import Side
from tests.factories import add_development, add_score, add_scores, make_layer

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STATIC = Path(settings.BASE_DIR) / "static"
SHARE_TAGS = (
    "og:title",
    "og:description",
    "og:url",
    "og:type",
    "og:image",
    "og:site_name",
    "twitter:card",
)


class HeadTags(HTMLParser):
    """Collect <title>, the meta tags and the canonical link of a page."""

    def __init__(self):
        super().__init__()
        self.meta = {}
        self.canonical = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            key = attrs.get("property") or attrs["name"]
            self.meta.setdefault(key, attrs.get("content"))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs["href"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def head(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    tags = HeadTags()
    tags.feed(response.content.decode())
    return tags


@pytest.fixture
def memory():
    layer = make_layer("Memory", position=6, summary="HBM is *scarce*.")
    add_scores(layer, "9.0", "3.0")
    return layer


@pytest.fixture
def development(memory):
    return add_development(memory, "SK Hynix leads HBM", body="It ships the most.")


@pytest.fixture
def every_page(memory, development):
    return [
        "/",
        memory.get_absolute_url(),
        "/news/",
        development.get_absolute_url(),
        "/search/?q=chips",
        "/methodology/",
        "/changes/",
        "/feeds/",
    ]


# Canonical address, title, description and share card


def test_every_page_has_a_title_description_and_share_card(client, every_page):
    for url in every_page:
        tags = head(client, url)

        assert tags.title.strip(), url
        assert tags.meta["description"].strip(), url
        assert len(tags.canonical) == 1, url
        assert tags.canonical[0].startswith("http://testserver/"), url
        for name in SHARE_TAGS:
            assert tags.meta.get(name), (url, name)
        assert tags.meta["og:url"] == tags.canonical[0]
        assert tags.meta["og:title"] == tags.title
        assert tags.meta["og:description"] == tags.meta["description"]
        assert tags.meta["og:site_name"] == "The AI Stack Tracker"
        assert tags.meta["twitter:card"] == "summary_large_image"
        assert tags.meta["og:image"].startswith("http://testserver/")


def test_canonical_address_is_the_pages_own(client, memory):
    tags = head(client, memory.get_absolute_url())

    assert tags.canonical == ["http://testserver/layer/memory/"]


def test_canonical_address_uses_site_url_when_set(client, memory, settings):
    settings.SITE_URL = "https://tracker.example.org/"

    tags = head(client, memory.get_absolute_url())

    assert tags.canonical == ["https://tracker.example.org/layer/memory/"]
    assert tags.meta["og:image"].startswith(
        "https://tracker.example.org/layer/memory/social.png?v="
    )


def test_canonical_address_follows_the_request_behind_https(client, memory):
    tags = head(client, memory.get_absolute_url(), secure=True)

    assert tags.canonical == ["https://testserver/layer/memory/"]


def test_canonical_address_keeps_filters_and_drops_the_rest(client, development):
    url = "/news/?utm_source=x&category=policy&page=1&layer=memory&fbclid=y"

    tags = head(client, url)

    assert tags.canonical == ["http://testserver/news/?layer=memory&category=policy"]


def test_canonical_address_of_a_non_latin_page_is_percent_encoded(client, memory):
    development = add_development(memory, "中国稀土")

    tags = head(client, development.get_absolute_url())

    assert tags.canonical == [
        "http://testserver/news/memory/%E4%B8%AD%E5%9B%BD%E7%A8%80%E5%9C%9F/"
    ]


def test_layer_page_shares_the_layers_own_picture(client, memory):
    tags = head(client, memory.get_absolute_url())

    assert re.fullmatch(
        r"http://testserver/layer/memory/social\.png\?v=[0-9a-f]{12}",
        tags.meta["og:image"],
    )
    assert tags.meta["og:image:width"] == "1200"
    assert tags.meta["og:image:height"] == "630"
    assert "Memory" in tags.meta["og:image:alt"]
    assert tags.meta["og:type"] == "website"


def test_development_page_is_an_article_with_its_layers_picture(client, development):
    tags = head(client, development.get_absolute_url())

    assert tags.meta["og:type"] == "article"
    assert "/layer/memory/social.png?v=" in tags.meta["og:image"]
    assert tags.meta["og:description"] == "It ships the most."


def test_other_pages_share_the_sites_picture(client, memory):
    for url in ("/", "/news/", "/methodology/"):
        image = head(client, url).meta["og:image"]

        assert re.fullmatch(r"http://testserver/social\.png\?v=[0-9a-f]{12}", image)


def test_description_is_plain_text(client, memory):
    tags = head(client, memory.get_absolute_url())

    assert tags.meta["og:description"] == "HBM is scarce."


def test_error_page_has_no_canonical_address_and_is_not_indexed(client, db):
    response = client.get("/layer/no-such-layer/")
    tags = HeadTags()
    tags.feed(response.content.decode())

    assert response.status_code == 404
    assert tags.canonical == []
    assert "og:url" not in tags.meta
    assert "og:image" not in tags.meta
    assert tags.meta["robots"] == "noindex"
    assert tags.title == "Page not found · The AI Stack Tracker"


@pytest.mark.parametrize(
    "template",
    ["400.html", "403.html", "403_csrf.html", "404.html", "500.html", "lockout.html"],
)
def test_no_error_page_names_a_canonical_address(template, db):
    request = RequestFactory().get("/missing/")
    tags = HeadTags()
    tags.feed(render_to_string(template, {"cooloff_minutes": 15}, request=request))

    assert tags.canonical == []
    assert "og:url" not in tags.meta
    assert tags.meta["robots"] == "noindex"


def test_layer_page_of_a_past_day_shares_the_picture_of_that_days_scores(
    client, memory
):
    add_scores(memory, "7.0", "5.0", as_of=datetime.date(2026, 6, 1))
    today = head(client, memory.get_absolute_url()).meta["og:image"]

    tags = head(client, f"{memory.get_absolute_url()}?as_of=2026-07-01")
    image = tags.meta["og:image"]

    match = re.fullmatch(
        r"http://testserver/layer/memory/social\.png\?as_of=2026-07-01&v=([0-9a-f]{12})",
        image,
    )
    assert match, image
    assert image.removeprefix("http://testserver") != today
    then = client.get(image.removeprefix("http://testserver"))
    assert then["ETag"] == f'"{match[1]}"'
    assert "immutable" in then["Cache-Control"]
    assert then.content != png_of(client, today.removeprefix("http://testserver"))
    assert "scores on 1 July 2026" in tags.meta["og:image:alt"]


def test_past_day_picture_draws_that_days_scores(client, memory):
    add_scores(memory, "7.0", "5.0", as_of=datetime.date(2026, 6, 1))
    then = (
        type(memory)
        .objects.with_current_scores(as_of=datetime.date(2026, 7, 1))
        .get(pk=memory.pk)
    )

    png = png_of(client, "/layer/memory/social.png?as_of=2026-07-01")

    assert (then.us_score, then.china_score) == (7, 5)
    assert png == social.draw_layer(then)


@pytest.mark.parametrize("as_of", ["not-a-date", "2999-01-01", ""])
def test_picture_for_an_unreadable_day_is_todays(client, memory, as_of):
    add_scores(memory, "7.0", "5.0", as_of=datetime.date(2026, 6, 1))

    png = png_of(client, f"/layer/memory/social.png?as_of={as_of}")

    assert png == png_of(client, "/layer/memory/social.png")


# The pictures


def png_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "image/png"
    return response.content


def test_layer_picture_is_a_1200_by_630_png(client, memory):
    png = png_of(client, "/layer/memory/social.png")

    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 630)


def test_site_picture_is_a_1200_by_630_png(client, db):
    png = png_of(client, "/social.png")

    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 630)


def test_layer_picture_changes_with_a_new_score(client, memory):
    before_url = head(client, memory.get_absolute_url()).meta["og:image"]
    before = png_of(client, "/layer/memory/social.png")

    add_score(memory, Side.CHINA, "4.5")

    after_url = head(client, memory.get_absolute_url()).meta["og:image"]
    after = png_of(client, "/layer/memory/social.png")
    assert after != before
    assert after_url != before_url


def test_layer_picture_changes_when_a_score_is_corrected(client, memory):
    before = png_of(client, "/layer/memory/social.png")
    score = memory.current_score(Side.US)

    score.value = "8.5"
    score.save()

    assert png_of(client, "/layer/memory/social.png") != before


def test_layers_picture_differ(client, memory):
    talent = make_layer("Talent", position=14)
    add_scores(talent, "7.0", "7.0")

    assert png_of(client, "/layer/talent/social.png") != png_of(
        client, "/layer/memory/social.png"
    )


def test_unscored_layer_still_has_a_picture(client, db):
    make_layer("Talent")

    assert png_of(client, "/layer/talent/social.png").startswith(PNG_SIGNATURE)


def test_picture_of_an_unknown_layer_is_a_404(client, db):
    assert client.get("/layer/no-such-layer/social.png").status_code == 404


def test_picture_with_its_current_version_may_be_kept_for_good(client, memory):
    version = social.layer_version(
        type(memory).objects.with_current_scores().get(pk=memory.pk)
    )

    current = client.get(f"/layer/memory/social.png?v={version}")
    stale = client.get("/layer/memory/social.png?v=old")

    assert "immutable" in current["Cache-Control"]
    assert "immutable" not in stale["Cache-Control"]
    assert current["ETag"] == f'"{version}"'


def test_picture_answers_304_to_a_reader_who_has_it(client, memory):
    etag = client.get("/layer/memory/social.png")["ETag"]

    response = client.get("/layer/memory/social.png", headers={"if-none-match": etag})

    assert response.status_code == 304


def test_picture_is_drawn_without_the_dejavu_fonts(monkeypatch, tmp_path, memory):
    monkeypatch.setattr(social, "FONT_DIR", tmp_path)
    social._font.cache_clear()
    try:
        layer = type(memory).objects.with_current_scores().get(pk=memory.pk)
        png = social.draw_layer(layer)
    finally:
        social._font.cache_clear()

    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 630)


# Citation and print


def test_layer_page_offers_a_citation_to_copy(client, memory):
    html = client.get(memory.get_absolute_url()).content.decode()

    citation = re.search(
        r'<textarea class="cite-box__text" id="cite-text" rows="3" readonly'
        r' spellcheck="false">([^<]*)</textarea>',
        html,
    )
    assert citation[1] == (
        "“Memory: US &amp; Allies 9.0, China 3.0.” The AI Stack Tracker, "
        "scores as of 2 December 2026. http://testserver/layer/memory/"
    )
    assert '<label class="visually-hidden" for="cite-text">' in html
    assert (
        '<button class="cite-box__copy" type="button" data-copy="cite-text" hidden>'
        in (html)
    )
    assert re.search(r'<script src="/static/js/copy\.js" nonce="[^"]+" defer>', html)


def test_citation_gives_the_newer_scores_date(client, memory):
    add_score(memory, Side.US, "9.5", as_of="2027-03-01")

    html = client.get(memory.get_absolute_url()).content.decode()

    citation = (
        "US &amp; Allies 9.5, China 3.0.” The AI Stack Tracker, "
        "scores as of 1 March 2027."
    )
    assert citation in html


def test_copy_script_is_a_static_file_that_needs_no_inline_code():
    script = (STATIC / "js" / "copy.js").read_text()

    assert "data-copy" in script
    assert "navigator.clipboard" in script


def test_pages_link_a_print_stylesheet(client, memory):
    html = client.get(memory.get_absolute_url()).content.decode()

    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in html


def test_print_stylesheet_leaves_out_navigation_and_controls():
    css = (STATIC / "css" / "print.css").read_text()

    assert "@media print" in css
    hidden = css[css.index(".skip-link") : css.index("display: none !important")]
    for selector in (".site-nav", ".site-search", ".layer-aside", "form", "button"):
        assert selector in hidden
    assert ".cite-box__print" in css
