"""The public pages: the stack on the home page and each layer's page."""

import datetime
import re
from html import escape

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from layers.models import Confidence, Layer, MetricValue, Side
from layers.templatetags.tracker import age, figure
from news.models import Development
from tests.factories import (
    add_development,
    add_metric,
    add_score,
    add_scores,
    add_section,
    add_value,
    make_layer,
    make_state_of_the_stack,
)

pytestmark = pytest.mark.django_db

TAGLINE = (
    "Assessing how the US stacks up against China across each layer of the "
    "modern AI value chain."
)
# Home: the summary page, the stack, the footer's data date.
HOME_QUERIES = 3
# Layer: the layer, its sections, metrics, metric values, related layers and
# scores, the developments behind the scores, the whole stack, the
# developments, its charts, the footer's data date.
LAYER_QUERIES = 11
DEVELOPMENT_TITLE = r'class="development__title"><a href="[^"]+">([^<]+)<'


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def layer_page(client, layer):
    return page(client, layer.get_absolute_url())


def three_layers():
    """A small stack: minerals at the bottom, then power, then talent."""
    minerals = make_layer("Critical Minerals", position=1)
    power = make_layer("Power Infrastructure", position=2)
    talent = make_layer("Talent", position=3)
    add_scores(minerals, "4.0", "8.0")
    add_scores(power, "6.5", "6.5")
    add_scores(talent, "7.0", "5.0")
    return minerals, power, talent


def populate(size):
    """Build ``size`` layers with everything a page can show."""
    layers = [make_layer(position=n) for n in range(1, size + 1)]
    for layer in layers:
        add_scores(layer, "3.0", "6.0", as_of=datetime.date(2026, 6, 1))
        add_scores(layer, "4.0", "7.0")
        for _ in range(size):
            metric = add_metric(layer)
            add_value(metric, Side.US, 12, unit="%", year=2024, source="USGS")
            add_value(metric, Side.CHINA, 61, 69, unit="%", year=2024)
        add_section(layer, "What matters", is_branch=True)
        for _ in range(size):
            add_section(layer)
            add_development(layer, days_ago=len(layers))
        add_development(layer, date_is_known=False)
        layer.related.add(*(other for other in layers if other != layer))
    make_state_of_the_stack()
    return layers


def position_of(html, text):
    index = html.find(text)
    assert index != -1, f"{text!r} not on the page"
    return index


# Home page


def test_home_shows_site_name_and_tagline(client):
    html = page(client, "/")

    assert "<h1" in html
    assert "The AI Stack Tracker</h1>" in html
    assert TAGLINE in html


def test_home_renders_state_of_the_stack_from_markdown(client):
    make_state_of_the_stack("The race is **not** over.")

    html = page(client, "/")

    assert "State of the Stack" in html
    assert "The race is <strong>not</strong> over." in html


def test_home_lists_layers_from_top_of_stack_down(client):
    three_layers()

    html = page(client, "/")

    talent = position_of(html, ">Talent</a>")
    power = position_of(html, ">Power Infrastructure</a>")
    minerals = position_of(html, ">Critical Minerals</a>")
    assert talent < power < minerals


def test_home_numbers_each_layer_by_its_position(client):
    three_layers()

    html = page(client, "/")

    assert "Layer 1: </span>Critical Minerals" in html
    assert "Layer 3: </span>Talent" in html


def test_home_shows_both_scores_of_each_layer(client):
    minerals = make_layer("Critical Minerals", position=1)
    add_scores(minerals, "4.0", "8.0")

    html = page(client, "/")

    assert re.search(r"US &amp; Allies</span>.*?4\.0<span", html, re.S)
    assert re.search(r"China</span>.*?8\.0<span", html, re.S)


def test_home_draws_scores_as_bars_of_matching_width(client):
    minerals = make_layer("Critical Minerals", position=1)
    add_scores(minerals, "4.0", "8.5")

    html = page(client, "/")

    assert '<rect class="bar__fill" width="40" height="10"/>' in html
    assert '<rect class="bar__fill" width="85" height="10"/>' in html


def test_home_names_the_leader_of_each_layer(client):
    three_layers()

    html = page(client, "/")

    leaders = re.findall(r'<span class="leader__name">([^<]+)</span>', html)
    assert leaders == ["US &amp; Allies", "Even", "China"]


def test_home_shows_each_layers_measure(client):
    make_layer("Critical Minerals", position=1, measure="Net refining capacity")

    html = page(client, "/")

    assert "Net refining capacity" in html


def test_home_links_each_layer_to_its_page(client):
    minerals, power, talent = three_layers()

    html = page(client, "/")

    for layer in (minerals, power, talent):
        assert f'href="/layer/{layer.slug}/"' in html


def test_home_counts_the_layers_each_side_leads(client):
    three_layers()

    html = page(client, "/")

    tally = re.findall(r"<dt>([^<]+)</dt>\s*<dd>(\d+)</dd>", html)
    assert tally == [
        ("Led by US &amp; Allies", "1"),
        ("Led by China", "1"),
        ("Even", "1"),
    ]


def test_home_without_layers_says_none_are_published(client):
    html = page(client, "/")

    assert "No layers have been published yet." in html


def test_home_shows_a_layer_without_scores_as_not_yet_scored(client):
    make_layer("Talent", position=14)

    html = page(client, "/")

    assert "Not yet scored" in html


@pytest.mark.parametrize("size", [1, 6])
def test_home_runs_the_same_queries_whatever_the_data(
    client, django_assert_num_queries, size
):
    populate(size)

    with django_assert_num_queries(HOME_QUERIES):
        client.get("/")


# Every page


@pytest.mark.parametrize("url", ["/", "/layer/critical-minerals/"])
def test_page_has_title_description_skip_link_header_and_footer(client, url):
    make_layer("Critical Minerals", position=1)

    html = page(client, url)

    assert re.search(r"<title>[^<]+</title>", html)
    assert '<meta name="description" content="' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert '<footer class="site-footer">' in html


def test_footer_dates_the_scores(client):
    add_scores(make_layer(), "4.0", "8.0", as_of=datetime.date(2026, 12, 2))

    html = page(client, "/")

    assert '<time datetime="2026-12-02">2 December 2026</time>' in html


def test_page_loads_htmx_with_the_csp_nonce(client):
    response = client.get("/")

    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce
    assert re.search(
        rf'<script src="[^"]*htmx[^"]*\.js" defer nonce="{nonce[1]}"></script>',
        response.content.decode(),
    )


@pytest.mark.parametrize("url", ["/", "/layer/critical-minerals/", "/layer/nope/"])
def test_page_has_no_inline_style_the_csp_would_block(client, url):
    make_layer("Critical Minerals", position=1)
    make_state_of_the_stack()

    html = client.get(url).content.decode()

    assert "style=" not in html
    assert "<style" not in html


# Layer page


def test_layer_page_shows_name_summary_and_measure(client):
    layer = make_layer(
        "Critical Minerals",
        summary="China *dominates* refining.",
        measure="Net refining capacity",
    )

    html = layer_page(client, layer)

    assert ">Critical Minerals</h1>" in html
    assert "China <em>dominates</em> refining." in html
    assert "Net refining capacity" in html


def test_layer_page_shows_both_scores_and_the_leader(client):
    layer = make_layer("Critical Minerals")
    add_scores(layer, "4.0", "8.0")

    html = layer_page(client, layer)

    assert re.search(r"US &amp; Allies</span>.*?4\.0<span", html, re.S)
    assert re.search(r"China</span>.*?8\.0<span", html, re.S)
    assert '<span class="leader__name">China</span>' in html


def test_layer_page_dates_the_scores(client):
    layer = make_layer()
    add_scores(layer, "4.0", "8.0", as_of=datetime.date(2026, 11, 30))

    html = layer_page(client, layer)

    assert 'Scores as of <time datetime="2026-11-30">30 November 2026</time>' in html


def test_layer_page_shows_the_latest_score_not_an_older_one(client):
    layer = make_layer()
    add_scores(layer, "2.0", "9.0", as_of=datetime.date(2026, 1, 1))
    add_scores(layer, "4.5", "8.0", as_of=datetime.date(2026, 12, 1))

    html = layer_page(client, layer)

    assert "4.5<span" in html
    assert "2.0<span" not in html
    assert "US &amp; Allies up 2.5, China down 1.0" in html


def test_layer_page_explains_the_current_scores(client):
    layer = make_layer()
    old = datetime.date(2026, 1, 1)
    add_score(layer, Side.US, "3.0", as_of=old, rationale="Old reasoning.")
    add_score(layer, Side.US, "4.0", rationale="Grid *queues* are long.")
    add_score(layer, Side.CHINA, "8.0", rationale="Vast spare capacity.")

    html = layer_page(client, layer)

    # The score history further down keeps the old reasoning on the record.
    scorecard = html[position_of(html, 'id="score"') :]
    scorecard = scorecard[: scorecard.index("</section>")]
    assert "Grid <em>queues</em> are long." in scorecard
    assert "Vast spare capacity." in scorecard
    assert "Old reasoning." not in scorecard


def test_layer_page_gives_a_shared_rationale_once(client):
    layer = make_layer()
    add_scores(layer, "4.0", "8.0")

    html = layer_page(client, layer)

    assert html.count("<p>Why.</p>") == 1


def test_layer_page_dates_each_side_when_scored_on_different_days(client):
    layer = make_layer()
    add_score(layer, Side.US, "4.0", as_of=datetime.date(2026, 11, 1))
    add_score(layer, Side.CHINA, "8.0", as_of=datetime.date(2026, 12, 1))

    html = layer_page(client, layer)

    assert 'US &amp; Allies score as of <time datetime="2026-11-01">' in html
    assert 'China score as of <time datetime="2026-12-01">' in html


def test_layer_page_shows_every_metric_with_its_formula(client):
    layer = make_layer()
    add_metric(layer, "Mining share", "Share = Country / Global × 100", position=1)
    add_metric(layer, "Refining share", "Refined = Country / Global", position=2)

    html = layer_page(client, layer)

    assert position_of(html, "Mining share</h3>") < position_of(
        html, "Refining share</h3>"
    )
    assert "Share = Country / Global × 100" in html
    assert "Refined = Country / Global" in html


def test_layer_page_writes_numbers_typed_in_e_notation_as_people_read_them(client):
    layer = make_layer()
    flops = add_metric(layer, "Peak FLOP/s per unit", position=1)
    add_value(flops, Side.US, 2.25e15, unit="FLOP/s", note="H100 9.894e14")
    people = add_metric(layer, "Researchers", position=2)
    add_value(people, Side.CHINA, 30, unit="%", note="of 1.2e6 in all")

    html = layer_page(client, layer)

    assert '<dd class="figure__note">H100 989 TFLOP/s</dd>' in html
    assert '<dd class="figure__note">of 1,200,000 in all</dd>' in html
    assert "9.894e14" not in html


def test_layer_page_leaves_out_the_formula_of_a_metric_without_one(client):
    layer = make_layer()
    add_metric(layer, "Gallium share", "")

    html = layer_page(client, layer)

    assert "Gallium share</h3>" in html
    assert "metric__formula" not in html


def test_layer_page_shows_a_figure_with_unit_year_and_source(client):
    metric = add_metric(make_layer(), "Refining share")
    add_value(
        metric,
        Side.CHINA,
        92,
        unit="%",
        year=2024,
        source="IEA, Global Critical Minerals Outlook 2025",
        note="separation 91%, magnets 94%",
    )

    html = layer_page(client, metric.layer)

    assert ">92%</dd>" in html
    assert "<span>2024</span>" in html
    assert "IEA, Global Critical Minerals Outlook 2025" in html
    assert "separation 91%, magnets 94%" in html


def test_layer_page_shows_a_range_with_an_en_dash(client):
    metric = add_metric(make_layer())
    add_value(metric, Side.CHINA, 61, 69, unit="%")

    html = layer_page(client, metric.layer)

    assert ">61–69%</dd>" in html


def test_layer_page_says_no_public_figure_for_an_empty_value(client):
    metric = add_metric(make_layer())
    add_value(metric, Side.CHINA, 92, unit="%")
    add_value(metric, Side.US, unit="%", source="no public figure found")

    html = layer_page(client, metric.layer)

    assert re.search(r"US &amp; Allies</dt>\s*<dd[^>]*>no public figure</dd>", html)


def test_layer_page_says_no_public_figure_for_a_side_without_a_value(client):
    metric = add_metric(make_layer())
    add_value(metric, Side.US, 12, unit="%")

    html = layer_page(client, metric.layer)

    assert re.search(r"China</dt>\s*<dd[^>]*>no public figure</dd>", html)


def test_layer_page_labels_an_unsourced_figure_as_the_trackers_estimate(client):
    metric = add_metric(make_layer())
    add_value(metric, Side.US, 5, 13, unit="%", confidence=Confidence.UNSOURCED)

    html = layer_page(client, metric.layer)

    assert "Tracker&#x27;s own estimate" in html


def test_layer_page_labels_an_estimate(client):
    metric = add_metric(make_layer())
    add_value(metric, Side.US, 63, unit="GW", confidence=Confidence.ESTIMATE)

    html = layer_page(client, metric.layer)

    assert ">63 GW</dd>" in html
    assert '<span class="tag tag--estimate">Estimate</span>' in html


def test_layer_page_groups_sections_under_their_branch_heading(client):
    layer = make_layer()
    add_section(layer, "Internal Teams", "Inside.", position=1, is_branch=True)
    add_section(layer, "System cards", "Cards.", position=2)
    add_section(layer, "External Teams", "Outside.", position=3, is_branch=True)
    add_section(layer, "Auditors", "Audits.", position=4)

    html = layer_page(client, layer)

    assert (
        position_of(html, 'class="block__title">Internal Teams</h2>')
        < position_of(html, 'class="topic__title">System cards</h3>')
        < position_of(html, 'class="block__title">External Teams</h2>')
        < position_of(html, 'class="topic__title">Auditors</h3>')
    )


def test_layer_page_shows_sections_that_precede_any_branch(client):
    layer = make_layer()
    add_section(layer, "Overview", "The *gist*.", position=1)

    html = layer_page(client, layer)

    assert ">Overview</h2>" in html
    assert "The <em>gist</em>." in html


def test_layer_page_lists_published_developments_newest_first(client):
    layer = make_layer()
    add_development(layer, "Older item", days_ago=9)
    add_development(layer, "Newer item", days_ago=2)

    html = layer_page(client, layer)

    assert position_of(html, "Newer item</a>") < position_of(html, "Older item</a>")


def test_layer_page_gives_each_development_an_anchor_and_links_its_page(client):
    development = add_development(make_layer())

    html = layer_page(client, development.layer)

    assert f'<article id="{development.anchor}"' in html
    assert f'href="{development.get_absolute_url()}"' in html


def test_layer_page_lists_the_newest_ten_developments_and_links_to_the_rest(client):
    layer = make_layer("Memory")
    for days_ago in range(1, 13):
        add_development(layer, f"Item {days_ago:02d}", days_ago=days_ago)

    html = layer_page(client, layer)

    assert "Item 01</a>" in html
    assert "Item 10</a>" in html
    assert "Item 11</a>" not in html
    assert '<a href="/news/?layer=memory">Every development on Memory</a>' in html


def test_layer_page_with_ten_developments_has_no_link_to_more(client):
    layer = make_layer("Memory")
    for days_ago in range(1, 11):
        add_development(layer, days_ago=days_ago)

    assert "Every development on" not in layer_page(client, layer)


def test_layer_page_shows_a_developments_category_and_age_in_a_time_element(
    client,
):
    development = add_development(make_layer(), category="Trade", days_ago=2)

    html = layer_page(client, development.layer)

    published = timezone.localtime(development.published_at)
    assert '<span class="development__category">Trade</span>' in html
    assert f'datetime="{published.replace(microsecond=0).isoformat()}"' in html
    assert f'title="{published.day} {published:%B %Y}">2 days ago' in html


def test_layer_page_shows_an_undated_development_as_recent_without_a_time(
    client,
):
    add_development(make_layer("Semiconductor Equipment"), date_is_known=False)

    html = layer_page(client, Layer.objects.get())

    assert '<span class="development__when">Recent</span>' in html
    assert "<time class=" not in html


def test_layer_page_hides_drafts_and_scheduled_developments(client):
    layer = make_layer()
    add_development(layer, "Draft item", status=Development.Status.DRAFT)
    add_development(layer, "Scheduled item", days_ago=-1)

    html = layer_page(client, layer)

    assert "Draft item" not in html
    assert "Scheduled item" not in html
    assert "No developments have been published for this layer yet." in html


def test_layer_page_leaves_out_other_layers_developments(client):
    layer, other = make_layer(), make_layer()
    add_development(other, "Elsewhere")

    html = layer_page(client, layer)

    assert "Elsewhere" not in html


def test_layer_page_never_shows_internal_notes(client):
    layer = make_layer(internal_notes="Plan: add a critical path diagram.")

    html = layer_page(client, layer)

    assert "critical path diagram" not in html


def test_layer_page_links_related_layers(client):
    fabrication = make_layer("Fabrication", position=4)
    minerals = make_layer("Critical Minerals", position=1)
    fabrication.related.add(minerals)

    html = layer_page(client, fabrication)

    related = html[position_of(html, 'id="related"') :]
    assert 'href="/layer/critical-minerals/"' in related


def test_layer_page_links_the_layers_below_and_above(client):
    minerals, power, talent = three_layers()

    html = layer_page(client, power)

    neighbours = html[position_of(html, 'class="neighbours"') :]
    below = r'href="/layer/critical-minerals/">\s*<span[^>]*>.*?Layer below'
    above = r'href="/layer/talent/">\s*<span[^>]*>.*?Layer above'
    assert re.search(below, neighbours, re.S)
    assert re.search(above, neighbours, re.S)


def test_bottom_layer_links_only_the_layer_above(client):
    minerals, power, talent = three_layers()

    html = layer_page(client, minerals)

    assert "Layer above" in html
    assert "Layer below" not in html


def test_layer_page_marks_its_place_in_the_whole_stack(client):
    minerals, power, talent = three_layers()

    html = layer_page(client, power)

    assert 'href="/layer/power-infrastructure/" aria-current="page"' in html
    assert "Layer 2 of 3" in html


@pytest.mark.parametrize("size", [1, 6])
def test_layer_page_runs_the_same_queries_whatever_the_data(
    client, django_assert_num_queries, size
):
    layer = populate(size)[0]

    with django_assert_num_queries(LAYER_QUERIES):
        client.get(layer.get_absolute_url())


# Addresses and errors


def test_layer_address_without_trailing_slash_redirects_to_the_page(client):
    make_layer("Critical Minerals")

    response = client.get("/layer/critical-minerals")

    assert response.status_code == 301
    assert response.headers["Location"] == "/layer/critical-minerals/"


def test_unknown_layer_is_a_404_in_the_sites_design(client):
    response = client.get("/layer/no-such-layer/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "This page is not in the stack" in html
    assert '<header class="site-header">' in html
    assert '<footer class="site-footer">' in html


def test_server_error_page_renders_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong" in html
    assert "The AI Stack Tracker" in html


def test_layer_page_only_answers_get(client):
    make_layer("Critical Minerals")

    response = client.post(reverse("layers:detail", args=["critical-minerals"]))

    assert response.status_code == 405


# Template filters


NOW = datetime.datetime(2026, 12, 3, 12, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (datetime.timedelta(hours=3), "today"),
        (datetime.timedelta(days=1), "1 day ago"),
        (datetime.timedelta(days=2), "2 days ago"),
        (datetime.timedelta(days=7), "1 week ago"),
        (datetime.timedelta(days=21), "3 weeks ago"),
        (datetime.timedelta(days=31), "1 month ago"),
    ],
)
def test_age_says_how_long_ago_in_one_unit(ago, words):
    assert age(NOW - ago, NOW) == words


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"low": 12, "high": 12, "unit": "%"}, "12%"),
        ({"low": 2290, "high": 2290, "unit": "GW"}, "2,290 GW"),
        ({"low": 3.6e6, "high": 3.6e6, "unit": "units"}, "3,600,000 units"),
        ({"low": 2.25e15, "high": 2.25e15, "unit": "FLOP/s"}, "2.25 × 10¹⁵ FLOP/s"),
        ({"low": 7.8e14, "high": 8.0e14, "unit": "FLOP/s"}, "7.8–8.0 × 10¹⁴ FLOP/s"),
        ({"low": 9e14, "high": 1.2e15, "unit": "FLOP/s"}, "0.9–1.2 × 10¹⁵ FLOP/s"),
        ({"low": 61, "high": 69.5, "unit": "%"}, "61.0–69.5%"),
        ({"low": 65000, "high": 80000, "unit": "wafers"}, "65,000–80,000 wafers"),
        ({"text": "about 3.2e14", "unit": "FLOP/s"}, "about 320 TFLOP/s"),
        ({"low": 0.3, "high": 0.3, "unit": "points"}, "0.3 points"),
        ({"low": 10, "high": 10, "unit": "US$ million"}, "US$10 million"),
        ({"text": "5 nm-class", "unit": "node"}, "5 nm-class"),
        ({"unit": "%"}, "no public figure"),
    ],
)
def test_figure_formats_a_metric_value(fields, text):
    assert figure(MetricValue(**fields)) == text


# The real content


def test_real_content_home_shows_every_layer_in_stack_order(
    client, stack, stack_document
):
    html = page(client, "/")

    positions = [
        position_of(html, f">{escape(layer.name)}</a>")
        for layer in stack_document.layers
    ]
    assert positions == sorted(positions, reverse=True)


def test_real_content_home_shows_every_layers_scores_and_leader(
    client, stack, stack_document
):
    html = page(client, "/")

    leaders = re.findall(r'<span class="leader__name">([^<]+)</span>', html)
    assert leaders == [
        escape(layer.leader) for layer in reversed(stack_document.layers)
    ]
    for layer in stack_document.layers:
        assert f'width="{float(layer.us_score) * 10:g}"' in html
        assert f'width="{float(layer.china_score) * 10:g}"' in html


def test_real_content_layer_pages_show_each_metric_once(client, stack, stack_document):
    for entry in stack_document.layers:
        html = page(client, f"/layer/{entry.slug}/")

        for metric in entry.metrics:
            assert html.count(f">{escape(metric.name)}</h3>") == 1, metric.name
            assert html.count(escape(metric.formula)) == 1, metric.formula


def test_real_content_layer_pages_show_each_section_once(client, stack, stack_document):
    for entry in stack_document.layers:
        html = page(client, f"/layer/{entry.slug}/")

        for section in entry.sections:
            tag = "h2" if section.is_branch else "h3"
            heading = f">{escape(section.heading)}</{tag}>"
            assert html.count(heading) == 1, (entry.name, section.heading)


def test_real_content_layer_pages_show_each_development_once(
    client, stack, stack_document
):
    for entry in stack_document.layers:
        html = page(client, f"/layer/{entry.slug}/")

        titles = re.findall(DEVELOPMENT_TITLE, html)
        expected = [escape(d.title) for d in entry.developments]
        assert sorted(titles) == sorted(expected), entry.name
        assert len(set(titles)) == len(titles), entry.name


def test_real_content_undated_developments_read_recent(client, stack):
    html = page(client, "/layer/semiconductor-equipment/")

    assert html.count('<span class="development__when">Recent</span>') == 3
    assert "<time class=" not in html


def test_real_content_dated_developments_carry_their_date(client, stack):
    html = page(client, "/layer/critical-minerals/")

    assert html.count('<time class="development__when" datetime="2026-') == 5


def test_real_content_keeps_editorial_notes_off_the_pages(
    client, stack, stack_document
):
    for entry in stack_document.layers:
        html = page(client, f"/layer/{entry.slug}/")

        for note in entry.notes:
            assert escape(note)[:40] not in html, entry.name


@pytest.mark.parametrize("slug", ["critical-minerals", "frontier-model"])
def test_real_content_links_without_trailing_slash_reach_the_layer(client, stack, slug):
    response = client.get(f"/layer/{slug}", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"/layer/{slug}/", 301)]


def test_real_content_related_layers_link_both_ways(client, stack):
    fabrication = page(client, "/layer/fabrication/")
    minerals = page(client, "/layer/critical-minerals/")

    assert 'href="/layer/critical-minerals/"><span class="related__position">' in (
        fabrication
    )
    assert 'href="/layer/fabrication/"><span class="related__position">' in minerals


def test_a_side_with_one_score_reads_unchanged_beside_the_side_that_moved(client):
    layer = make_layer("Fabrication", position=4)
    add_score(layer, Side.US, "9.0", as_of=datetime.date(2026, 6, 1))
    add_score(layer, Side.CHINA, "3.0", as_of=datetime.date(2026, 6, 1))
    add_score(layer, Side.CHINA, "3.5", as_of=datetime.date(2026, 9, 1))

    html = client.get(layer.get_absolute_url()).content.decode()

    assert (
        "Since the previous assessment: US &amp; Allies unchanged, China up 0.5."
        in (" ".join(html.split()))
    )
