"""Score history on each layer page, and every score change on /changes/."""

import datetime
import re

import pytest

from layers.history import TABLE_ROWS, score_history
from layers.models import Score, Side
from layers.views import CHANGES_PER_PAGE
from tests.factories import add_score, add_scores, make_layer

pytestmark = pytest.mark.django_db

FIRST = datetime.date(2026, 12, 2)
# The count of all scores, one page of them, the footer's data date.
CHANGES_QUERIES = 3


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def history_of(html):
    start = html.index('<section id="history"')
    return html[start : html.index("</section>", start)]


def rows_of(html):
    """Each history table row as (date, side, from, to), newest first."""
    rows = re.findall(r'<tr class="history-table__row[^"]*">(.*?)</tr>', html, re.S)
    return [
        tuple(
            re.sub(r"<[^>]+>", " ", cell).split(" up ")[0].split(" down ")[0].strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[:4]
        )
        for row in rows
    ]


def changes_of(html):
    """Each entry on /changes/ as (layer, side, move), in page order."""
    entries = re.findall(r'<li class="change change--[^"]+">(.*?)</li>', html, re.S)
    result = []
    for entry in entries:
        layer = re.search(
            r'class="change__title">\s*<a href="[^"]+">([^<]+)</a>', entry
        )
        side = re.search(r'class="change__side">([^<]+)<', entry)
        move = re.sub(
            r"<[^>]+>", " ", re.search(r'"change__move">(.*?)</p>', entry, re.S)[1]
        )
        result.append((layer[1], side[1], " ".join(move.split())))
    return result


def layer_with_history():
    layer = make_layer("Critical Minerals")
    add_score(
        layer, Side.US, "2.5", as_of=datetime.date(2025, 3, 1), rationale="Few *mines*."
    )
    add_score(layer, Side.CHINA, "8.5", as_of=datetime.date(2025, 3, 1), source="IEA")
    add_score(layer, Side.US, "3.0", as_of=datetime.date(2025, 10, 20))
    add_score(layer, Side.US, "4.0", as_of=FIRST)
    add_score(layer, Side.CHINA, "8.0", as_of=FIRST)
    return layer


# The history on a layer page


def test_layer_page_with_one_score_per_side_says_nothing_has_changed(client):
    layer = make_layer()
    add_scores(layer, "4.0", "8.0", as_of=FIRST)

    history = history_of(page(client, layer.get_absolute_url()))

    assert (
        "No changes since the first assessment on "
        '<time datetime="2026-12-02">2 Dec 2026</time>.'
    ) in history
    assert "<svg" not in history
    assert "<table" not in history


def test_layer_page_without_scores_has_no_history(client):
    layer = make_layer()

    html = page(client, layer.get_absolute_url())

    assert 'id="history"' not in html


def test_layer_page_charts_both_sides_with_a_title_and_description(client):
    layer = layer_with_history()

    history = history_of(page(client, layer.get_absolute_url()))

    assert re.search(
        r'<svg class="history-chart"[^>]* role="img" '
        r'aria-labelledby="history-chart-title" aria-describedby="history-chart-desc"',
        history,
    )
    assert (
        '<title id="history-chart-title">Critical Minerals: score history, '
        "1 Mar 2025 to today</title>"
    ) in history
    assert (
        "US &amp; Allies: 2.5 from 1 Mar 2025, 3.0 from 20 Oct 2025, "
        "4.0 from 2 Dec 2026. China: 8.5 from 1 Mar 2025, 8.0 from 2 Dec 2026."
    ) in history
    assert 'class="history-chart__series history-chart__series--us"' in history
    assert 'class="history-chart__series history-chart__series--china"' in history


def test_layer_page_labels_the_scale_and_each_sides_current_score(client):
    layer = layer_with_history()

    history = history_of(page(client, layer.get_absolute_url()))

    labels = re.findall(r'text-anchor="end">(\d+)</text>', history)
    assert labels == ["0", "2", "4", "6", "8", "10"]
    values = re.findall(r'class="history-chart__value"[^>]*>([\d.]+)</text>', history)
    assert values == ["4.0", "8.0"]


def test_layer_page_tables_every_score_newest_first_with_from_and_to(client):
    layer = layer_with_history()

    history = history_of(page(client, layer.get_absolute_url()))

    assert rows_of(history) == [
        ("2 Dec 2026", "China", "8.5", "8.0"),
        ("2 Dec 2026", "US &amp; Allies", "3.0", "4.0"),
        ("20 Oct 2025", "US &amp; Allies", "2.5", "3.0"),
        ("1 Mar 2025", "China", "first score", "8.5"),
        ("1 Mar 2025", "US &amp; Allies", "first score", "2.5"),
    ]


def test_layer_page_history_table_has_headers_rationale_and_source(client):
    layer = layer_with_history()

    history = history_of(page(client, layer.get_absolute_url()))

    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', history)
    assert headers == ["Date", "Side", "From", "To", "Rationale", "Source"]
    assert "<caption" in history
    assert "Few <em>mines</em>." in history
    assert '<td data-label="Source" class="history-table__source">IEA</td>' in history


def test_layer_page_history_says_how_much_each_score_moved(client):
    layer = layer_with_history()

    history = history_of(page(client, layer.get_absolute_url()))

    assert '<span class="history-table__move"> up 1.0</span>' in history
    assert '<span class="history-table__move"> down 0.5</span>' in history


def test_layer_page_history_links_to_every_change(client):
    layer = layer_with_history()

    history = history_of(page(client, layer.get_absolute_url()))

    assert 'href="/changes/"' in history


def test_layer_page_history_leaves_out_other_layers_scores(client):
    layer = layer_with_history()
    other = make_layer("Talent")
    add_score(other, Side.US, "9.9", rationale="Elsewhere entirely.")

    history = history_of(page(client, layer.get_absolute_url()))

    assert "Elsewhere entirely." not in history
    assert "9.9" not in history


# The chart's geometry


def scores_for(*entries):
    layer = make_layer()
    return [
        add_score(layer, side, value, as_of=FIRST + datetime.timedelta(days=day))
        for side, value, day in entries
    ]


def test_chart_steps_flat_until_the_next_assessment_then_rises():
    scores = scores_for((Side.US, "2.0", 0), (Side.US, "6.0", 50))

    history = score_history(scores, today=FIRST + datetime.timedelta(days=100))

    (us,) = history.series
    assert us.segments == [
        ("0%", "80%", "50%", "80%"),
        ("50%", "80%", "50%", "40%"),
        ("50%", "40%", "100%", "40%"),
    ]
    assert [(p["x"], p["y"]) for p in us.points] == [("0%", "80%"), ("50%", "40%")]
    assert us.path == "M0 80L50 80L50 40L100 40"


def test_chart_runs_to_today_and_says_so():
    scores = scores_for((Side.US, "2.0", 0), (Side.US, "3.0", 10))

    history = score_history(scores, today=FIRST + datetime.timedelta(days=20))

    assert history.end == FIRST + datetime.timedelta(days=20)
    assert history.end_is_today
    assert [tick["text"] for tick in history.ticks] == ["2 Dec 2026", "Today"]


def test_chart_ends_at_a_future_assessment_after_today():
    scores = scores_for((Side.US, "2.0", 0), (Side.US, "3.0", 10))

    history = score_history(scores, today=FIRST)

    assert history.end == FIRST + datetime.timedelta(days=10)
    assert not history.end_is_today
    assert [tick["text"] for tick in history.ticks] == ["2 Dec 2026", "12 Dec 2026"]


def test_chart_marks_new_years_but_labels_only_those_clear_of_the_ends():
    scores = scores_for((Side.US, "2.0", 0), (Side.US, "3.0", 800))

    history = score_history(scores, today=FIRST)

    # 2027 and 2029 fall within days of the first and last dates.
    assert [year["text"] for year in history.years] == ["", "2028", ""]


def test_chart_moves_apart_the_labels_of_close_scores():
    scores = scores_for((Side.US, "5.0", 0), (Side.CHINA, "5.4", 0))

    us, china = score_history(scores, today=FIRST).series

    assert (china.label_dy, us.label_dy) == (-8, 8)


def test_chart_leaves_apart_the_labels_of_distant_scores():
    scores = scores_for((Side.US, "2.0", 0), (Side.CHINA, "8.0", 0))

    us, china = score_history(scores, today=FIRST).series

    assert (us.label_dy, china.label_dy) == (0, 0)


def test_chart_draws_only_the_sides_that_are_scored():
    scores = scores_for((Side.US, "2.0", 0), (Side.US, "3.0", 10))

    history = score_history(scores, today=FIRST)

    assert [series.label for series in history.series] == ["US & Allies"]
    assert history.series[0].label_dy == 0


def test_history_of_no_scores_is_none():
    assert score_history([], today=FIRST) is None


# Every change across the stack


def test_changes_page_lists_scores_newest_first_by_date_then_entry(client):
    minerals = make_layer("Critical Minerals")
    talent = make_layer("Talent")
    add_score(minerals, Side.US, "3.0", as_of=datetime.date(2026, 1, 1))
    add_score(talent, Side.CHINA, "5.0", as_of=FIRST)
    add_score(minerals, Side.CHINA, "8.0", as_of=FIRST)
    add_score(talent, Side.US, "7.0", as_of=datetime.date(2026, 6, 1))

    html = page(client, "/changes/")

    assert [(layer, side) for layer, side, _ in changes_of(html)] == [
        ("Critical Minerals", "China"),
        ("Talent", "China"),
        ("Talent", "US &amp; Allies"),
        ("Critical Minerals", "US &amp; Allies"),
    ]


def test_changes_page_compares_each_score_with_its_own_layers_and_sides_last(
    client,
):
    minerals = make_layer("Critical Minerals")
    talent = make_layer("Talent")
    add_score(minerals, Side.US, "3.0", as_of=datetime.date(2026, 1, 1))
    add_score(minerals, Side.CHINA, "9.0", as_of=datetime.date(2026, 2, 1))
    add_score(talent, Side.US, "1.0", as_of=datetime.date(2026, 3, 1))
    add_score(minerals, Side.US, "4.5", as_of=datetime.date(2026, 4, 1))
    # Entered later for an earlier date: it falls in between by date.
    add_score(minerals, Side.US, "3.5", as_of=datetime.date(2026, 3, 15))

    html = page(client, "/changes/")

    assert changes_of(html) == [
        ("Critical Minerals", "US &amp; Allies", "From 3.5 → to 4.5 up 1.0"),
        ("Critical Minerals", "US &amp; Allies", "From 3.0 → to 3.5 up 0.5"),
        ("Talent", "US &amp; Allies", "First score 1.0"),
        ("Critical Minerals", "China", "First score 9.0"),
        ("Critical Minerals", "US &amp; Allies", "First score 3.0"),
    ]


def test_changes_page_breaks_a_tie_on_date_by_entry_order(client):
    layer = make_layer()
    add_score(layer, Side.US, "3.0", as_of=FIRST)
    add_score(layer, Side.US, "3.4", as_of=FIRST)

    html = page(client, "/changes/")

    moves = [move for _, _, move in changes_of(html)]
    assert moves == ["From 3.0 → to 3.4 up 0.4", "First score 3.0"]


def test_changes_page_links_each_layer_and_renders_the_rationale(client):
    layer = make_layer("Critical Minerals")
    add_score(layer, Side.US, "3.0", rationale="Refining is *scarce*.", source="USGS")

    html = page(client, "/changes/")

    assert f'<a href="{layer.get_absolute_url()}">Critical Minerals</a>' in html
    assert "Refining is <em>scarce</em>." in html
    assert '<span class="label">Source</span> USGS' in html
    assert '<time datetime="2026-12-02">2 Dec 2026</time>' in html


def test_changes_page_without_scores_says_so(client):
    html = page(client, "/changes/")

    assert "No layer has been scored yet." in html


def many_scores(count):
    layer = make_layer()
    return Score.objects.bulk_create(
        Score(
            layer=layer,
            side=Side.US,
            value="5.0",
            as_of=FIRST - datetime.timedelta(days=n),
            rationale=f"Assessment {n}.",
        )
        for n in range(count)
    )


def test_changes_page_shows_fifty_a_page_with_links_between_pages(client):
    many_scores(CHANGES_PER_PAGE + 3)

    first = page(client, "/changes/")
    second = page(client, "/changes/?page=2")

    assert len(changes_of(first)) == CHANGES_PER_PAGE
    assert "Assessment 0." in first
    assert 'rel="next" href="?page=2"' in first
    assert 'rel="prev"' not in first
    assert len(changes_of(second)) == 3
    assert "Assessment 52." in second
    assert 'rel="prev" href="/changes/"' in second
    assert 'rel="next"' not in second
    assert "Page 2 of 2" in second


def test_changes_page_without_enough_changes_shows_no_pager(client):
    many_scores(3)

    html = page(client, "/changes/")

    assert 'class="pager"' not in html


@pytest.mark.parametrize("number", ["x", "0", "-1", "1.5", "3", "99999999999999999999"])
def test_changes_page_that_does_not_exist_is_a_404_in_the_sites_design(client, number):
    many_scores(CHANGES_PER_PAGE + 3)

    response = client.get("/changes/", {"page": number})

    assert response.status_code == 404
    assert "This page is not in the stack" in response.content.decode()


def test_changes_page_with_an_empty_page_number_shows_the_first_page(client):
    many_scores(3)

    html = page(client, "/changes/?page=")

    assert "Assessment 0." in html


@pytest.mark.parametrize("size", [1, CHANGES_PER_PAGE * 2])
def test_changes_page_runs_the_same_queries_whatever_the_data(
    client, django_assert_num_queries, size
):
    for _ in range(size):
        layer = make_layer()
        add_scores(layer, "4.0", "8.0", as_of=datetime.date(2026, 1, 1))
        add_scores(layer, "4.5", "7.5")

    with django_assert_num_queries(CHANGES_QUERIES):
        response = client.get("/changes/?page=2" if size > 1 else "/changes/")

    assert response.status_code == 200


def test_changes_page_is_in_the_main_navigation(client):
    html = page(client, "/changes/")

    nav = html[html.index('<nav class="site-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert '<a href="/changes/" aria-current="page">Score changes</a>' in nav


def test_changes_page_only_answers_get(client):
    assert client.post("/changes/").status_code == 405


def test_changes_and_history_carry_no_inline_style(client):
    layer = layer_with_history()

    for url in ("/changes/", layer.get_absolute_url()):
        html = page(client, url)

        assert "style=" not in html
        assert "<style" not in html


def test_layer_page_tables_the_latest_assessments_and_links_to_the_rest(client):
    layer = make_layer("Critical Minerals")
    for n in range(TABLE_ROWS + 5):
        add_score(layer, Side.US, "3.0", as_of=FIRST - datetime.timedelta(days=n))

    html = history_of(page(client, layer.get_absolute_url()))

    assert len(rows_of(html)) == TABLE_ROWS
    assert rows_of(html)[0][0] == "2 Dec 2026"
    assert f"The latest {TABLE_ROWS} of {TABLE_ROWS + 5} assessments" in html
    assert (
        f'href="/changes/?layer=critical-minerals">All {TABLE_ROWS + 5} '
        "assessments of Critical Minerals</a>"
    ) in html


def test_layer_page_with_few_assessments_tables_them_all_without_a_link(client):
    html = history_of(page(client, layer_with_history().get_absolute_url()))

    assert len(rows_of(html)) == 5
    assert "?layer=" not in html


def test_changes_page_for_one_layer_lists_only_its_changes(client):
    minerals = layer_with_history()
    power = make_layer("Power")
    add_scores(power, "5.0", "6.0")

    html = page(client, "/changes/?layer=critical-minerals")

    assert "Score changes: Critical Minerals</h1>" in html
    assert {layer for layer, _side, _move in changes_of(html)} == {minerals.name}
    assert [move for _layer, _side, move in changes_of(html)][:2] == [
        "From 8.5 → to 8.0 down 0.5",
        "From 3.0 → to 4.0 up 1.0",
    ]


def test_changes_page_for_one_layer_keeps_it_between_pages(client):
    layer = make_layer("Critical Minerals")
    for n in range(CHANGES_PER_PAGE + 1):
        add_score(layer, Side.US, "3.0", as_of=FIRST - datetime.timedelta(days=n))

    first = page(client, "/changes/?layer=critical-minerals")
    second = page(client, "/changes/?layer=critical-minerals&page=2")

    assert 'rel="next" href="?layer=critical-minerals&amp;page=2"' in first
    assert 'rel="prev" href="/changes/?layer=critical-minerals"' in second
    assert len(changes_of(second)) == 1


def test_changes_page_for_an_unknown_layer_is_a_404(client):
    response = client.get("/changes/?layer=no-such-layer")

    assert response.status_code == 404


@pytest.mark.parametrize("wanted", ["%00", "a%00b", "%ff", "no such layer"])
def test_changes_page_for_a_layer_that_is_no_slug_is_a_404(client, wanted):
    layer_with_history()

    response = client.get(f"/changes/?layer={wanted}")

    assert response.status_code == 404
