"""Charts: the tables analysts type, the drawings made from them, their
pages, fragments and CSV downloads, and the charts that ship with the
content."""

import csv
import importlib
import io
import re
from html import unescape
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from charts import layout, rendering
from charts.loader import import_charts, parse_charts
from charts.models import Chart, ChartPage
from charts.tables import DataError, Kind, read, read_table
from layers.importer import (
    FULFILLED_NOTES,
    ImportConflict,
    ParseError,
    import_figures,
    parse_figures,
)
from layers.models import Layer
from tests.adminforms import change_form_data
from tests.factories import add_section, make_layer

pytestmark = pytest.mark.django_db

CHARTS_FILE = Path(__file__).resolve().parent.parent / "content" / "charts.md"
HTMX = {"HTTP_HX_REQUEST": "true"}
HISTORY_RESTORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
VALUE = re.compile(r'<text class="chart__value[^"]*"[^>]*>(.*?)</text>|'
                   r'<tspan class="chart__value[^"]*">(.*?)</tspan>')  # fmt: skip
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")

# A good table of every kind.
GOOD = {
    Kind.RANKED: "label | value\nTaiwan | 69\nSouth Korea | 31\nChina | 0",
    Kind.STACK: "group | label | value\n2022 | Taiwan | 69\n2022 | South Korea | 31\n"
    "2032 | Taiwan | 47\n2032 | China | 2",
    Kind.GROUPED: "label | US & Allies | China | unit\n"
    "Signatories | 17 | 3 | companies\nBenchmark | | | ",
    Kind.RANGES: "label | side | from | to | confidence\n"
    "US labs | US & Allies | 2 | 6 | unsourced\nChinese labs | China | | |",
    Kind.HEATMAP: "label | 2024 | 2025\nUS labs | most | all\nChinese labs | rare |",
    Kind.FLOW: "node | to | value | unit\nUS government | CAISI | 10 | US$ million\n"
    "CAISI | Partners | |\nPartners | | |",
    Kind.TIERS: "tier | US & Allies | China\nProfessional | 42 | 28\nUndergraduate | "
    "not given | 47",
    Kind.BULLETIN: "title | side | date | text\nAIID | US & Allies | since 2020 | "
    "A database.\nOpen question | | | Not yet counted.",
}
SINGLE = {
    Kind.RANKED: "label | value\nTaiwan | 69",
    Kind.STACK: "label | value\nTaiwan | 69",
    Kind.GROUPED: "label | US & Allies\nSignatories | 17",
    Kind.RANGES: "label | from | to\nUS labs | 2 | 6",
    Kind.HEATMAP: "label | 2024\nUS labs | 4",
    Kind.FLOW: "node | to\nWafer cleaning | ",
    Kind.TIERS: "tier | China\nUndergraduate | 47",
    Kind.BULLETIN: "title\nAIID",
}


def messages(kind, text, has_sources=True):
    with pytest.raises(DataError) as caught:
        read(kind, text, has_sources=has_sources)
    return caught.value.messages


def chart(layer=None, **fields):
    """A chart saved straight to the database, as the loader writes one."""
    layer = layer or make_layer("Fabrication")
    defaults = {
        "kind": Kind.RANKED,
        "title": "Leading-edge capacity",
        "slug": "capacity-share",
        "data": GOOD[Kind.RANKED],
        "sources": "SIA & BCG (2024)",
        "unit": "%",
    }
    return Chart.objects.create(layer=layer, **{**defaults, **fields})


def value_numbers(svg):
    """Every number the drawing writes as a figure."""
    texts = [unescape(a or b) for a, b in VALUE.findall(svg)]
    return {n.replace(",", "") for text in texts for n in NUMBER.findall(text)}


def table_numbers(chart):
    cells = [cell for row in chart.table["rows"] for cell in row]
    return {n.replace(",", "") for cell in cells for n in NUMBER.findall(cell)}


@pytest.fixture
def content_charts(stack):
    """The content document and the charts that ship with it."""
    return import_charts(parse_charts(CHARTS_FILE.read_text(encoding="utf-8")))


# Reading a table


def test_pipes_tabs_and_commas_read_the_same():
    piped = read_table("| label | value |\n|---|---|\n| Taiwan | 69 |")
    tabbed = read_table("label\tvalue\nTaiwan\t69")
    commas = read_table("label,value\nTaiwan,69")

    assert piped == tabbed == commas
    assert piped[0][0].name == "label"
    assert piped[1] == [["Taiwan", "69"]]


def test_quoted_csv_cells_keep_their_commas():
    columns, rows = read_table('label,source\nTaiwan,"SIA, BCG"')

    assert rows == [["Taiwan", "SIA, BCG"]]


def test_a_short_row_is_refused_rather_than_filled_in():
    with pytest.raises(DataError) as refused:
        read_table("label | value | note\nTaiwan | 69 | \nJapan | 2022")

    assert str(refused.value) == (
        "row 2 has 2 cells, but the header names 3 columns. Leave a cell empty "
        "where there is no figure, so each one stays under its column."
    )


def test_an_empty_cell_at_the_end_of_a_row_is_kept():
    columns, rows = read_table("label | value | note\nTaiwan | 69 |")

    assert rows == [["Taiwan", "69", ""]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "label | | value\nA | b | 1",
            "the header: column 2 has no name. Name every column in the first line.",
        ),
        (
            "label | Value | value\nA | 1 | 2",
            "the header names the column 'value' twice.",
        ),
        (
            "label | value\nA | 1 | 2",
            "row 1 has 3 cells, but the header names only 2 columns.",
        ),
    ],
)
def test_a_malformed_table_is_explained(text, message):
    assert messages(Kind.RANKED, text) == [message]


def test_a_blank_table_is_an_empty_chart():
    data = read(Kind.FLOW, "  \n")

    assert data.is_empty
    assert data.columns == []


# Checking a table against its kind


@pytest.mark.parametrize("kind", list(Kind))
def test_a_good_table_of_every_kind_checks_out(kind):
    data = read(kind, GOOD[kind], has_sources=True)

    assert len(data.rows) == GOOD[kind].count("\n")


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            Kind.RANKED,
            "label | value\nTaiwan | 69\nKorea | 31\nUS | about 40",
            "row 3: value must be a number, or left empty if there is no public "
            "figure (it reads 'about 40').",
        ),
        (
            Kind.RANKED,
            "label | value\nTaiwan | 69\nTaiwan | 47",
            "row 2: 'Taiwan' is already in row 1.",
        ),
        (
            Kind.RANKED,
            "label | value\nTaiwan | -3",
            "row 1: value cannot be below zero.",
        ),
        (
            Kind.STACK,
            "label | value\nTaiwan | 70\nKorea | 40",
            "the shares in the table add up to 110, more than 100: a wafer stack "
            "shows shares of one whole.",
        ),
        (
            Kind.GROUPED,
            "label | note\nSignatories | x",
            "the header: add at least one column of figures after 'label', e.g. "
            "'US & Allies' and 'China'.",
        ),
        (
            Kind.GROUPED,
            "label | US & Allies | China\nSignatories | 17 | three",
            "row 1: 'China' must be a number, or left empty if there is no public "
            "figure (it reads 'three').",
        ),
        (
            Kind.RANGES,
            "label | from | to\nUS labs | 6 | 2",
            "row 1: 'from' (6) is after 'to' (2).",
        ),
        (
            Kind.RANGES,
            "label | from | to\nUS labs | 6 |",
            "row 1: give both 'from' and 'to', or leave both empty if there is no "
            "public figure.",
        ),
        (
            Kind.HEATMAP,
            "label | 2024 | 2025\nUS labs | 3 | most",
            "the cells mix numbers with the words none, rare, some, most, all: use "
            "numbers throughout or the words throughout, so that one colour scale "
            "reads them all.",
        ),
        (
            Kind.HEATMAP,
            "label | 2024\nUS labs | lots",
            "row 1, column '2024': write a number or one of the words none, rare, "
            "some, most, all, or leave it empty if there is no public figure (it "
            "reads 'lots').",
        ),
        (
            Kind.FLOW,
            "node | to\nDeposition | Lithography\nLithography | Etching",
            "row 2: 'to' names a node that no row defines: 'Etching'.",
        ),
        (
            Kind.FLOW,
            "node | to\nA | B\nB | A",
            "rows 1, 2: the flow goes round in a circle (A → B → A); a flow must "
            "run one way.",
        ),
        (
            Kind.FLOW,
            "node | to | value\nA | B; C | 5\nB | |\nC | |",
            "row 1: a value belongs to one link, so 'to' must name exactly one node.",
        ),
        (
            Kind.FLOW,
            "node | to | constraint\nLithography | | severe",
            "row 1: 'constraint' must be one of low, medium, high, critical (it "
            "reads 'severe').",
        ),
        (
            Kind.FLOW,
            "node | to\nEtch |\netch |",
            "row 2: the node 'etch' is already defined in row 1.",
        ),
        (
            Kind.TIERS,
            "label | China\nProfessional | 28",
            "the header: Tiers needs a column named 'tier'. The header is the first "
            "line: label, China.",
        ),
        (Kind.BULLETIN, "title | date\n | 2020", "row 1: give it a title."),
    ],
)
def test_a_bad_table_is_explained_in_plain_words(kind, text, message):
    assert message in messages(kind, text)


def test_every_mistake_is_listed_not_only_the_first():
    found = messages(Kind.RANKED, "label | value\nA | x\nB | 2\nC | y")

    assert found == [
        "row 1: value must be a number, or left empty if there is no public "
        "figure (it reads 'x').",
        "row 3: value must be a number, or left empty if there is no public "
        "figure (it reads 'y').",
    ]


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        (
            "side",
            "Korea",
            "row 1: side must be 'US & Allies', 'China' or left empty (it reads "
            "'Korea').",
        ),
        (
            "year",
            "24",
            "row 1: year must be a year such as 2024, or left empty (it reads '24').",
        ),
        (
            "confidence",
            "sure",
            "row 1: confidence must be 'solid', 'estimate' or 'unsourced' (the "
            "tracker's own estimate), or left empty (it reads 'sure').",
        ),
    ],
)
def test_the_columns_any_kind_may_have_are_checked(column, cell, message):
    text = f"label | value | {column}\nTaiwan | 69 | {cell}"

    assert messages(Kind.RANKED, text) == [message]


def test_a_figure_needs_a_source():
    found = messages(Kind.RANKED, "label | value\nTaiwan | 69", has_sources=False)

    assert found == [
        "row 1: say where its figures come from: fill its 'source' cell, or list "
        "the chart's sources."
    ]


def test_a_row_may_name_its_own_source_and_a_missing_figure_needs_none():
    text = "label | value | source\nTaiwan | 69 | SIA & BCG\nSouth Korea | |"

    data = read(Kind.RANKED, text, has_sources=False)

    assert data.rows[0].source == "SIA & BCG"
    assert data.rows[1].value.is_missing


@pytest.mark.parametrize(
    ("cell", "label"),
    [("", "no public figure"), ("—", "no public figure"), ("not given", "not given")],
)
def test_a_missing_figure_reads_as_the_table_words_it(cell, label):
    data = read(Kind.RANKED, f"label | value\nSouth Korea | {cell}")

    assert data.rows[0].value.missing_label == label


def test_numbers_may_carry_thousands_separators_and_a_percent_sign():
    data = read(
        Kind.RANKED,
        "label | value\nA | 3,600,000\nB | 69%\nC | 2.25e15",
        has_sources=True,
    )

    assert [row.value.value for row in data.rows] == [3_600_000, 69, 2.25e15]


# The model


def test_clean_puts_the_tables_mistakes_on_the_table():
    bad = Chart(
        layer=make_layer(),
        kind=Kind.RANKED,
        title="Shares",
        slug="shares",
        data="label | value\nTaiwan | lots",
        sources="SIA",
    )

    with pytest.raises(ValidationError) as caught:
        bad.full_clean()

    assert caught.value.message_dict == {
        "data": [
            "row 1: value must be a number, or left empty if there is no public "
            "figure (it reads 'lots')."
        ]
    }


@pytest.mark.parametrize("data", ["", "label | value", "| label | value |\n|---|---|"])
def test_a_chart_with_no_rows_cannot_be_shown(data):
    empty = Chart(
        layer=make_layer(),
        kind=Kind.RANKED,
        title="Shares",
        slug="shares",
        data=data,
        is_shown=True,
    )

    with pytest.raises(ValidationError) as caught:
        empty.full_clean()

    assert caught.value.message_dict == {
        "data": [
            "The table has no rows, so readers would see an empty chart. Add at "
            "least one row under the header, or untick 'Shown to readers' to keep "
            "the chart hidden until it has its figures."
        ]
    }
    empty.is_shown = False
    empty.full_clean()


def test_clean_names_the_branch_headings_a_chart_can_go_under():
    layer = make_layer("Testing and Safety Science")
    add_section(layer, "Internal Safety Departments", is_branch=True)
    add_section(layer, "Pre-release testing windows")
    bad = Chart(
        layer=layer,
        kind=Kind.BULLETIN,
        title="Incidents",
        slug="incidents",
        branch="Internal Safety",
    )

    with pytest.raises(ValidationError) as caught:
        bad.full_clean()

    assert caught.value.message_dict["branch"] == [
        "Testing and Safety Science has no branch heading 'Internal Safety'. Its "
        "branch headings are: 'Internal Safety Departments'."
    ]


def test_clean_keeps_a_chart_on_a_page_of_its_own_layer():
    page = ChartPage.objects.create(layer=make_layer("Memory"), slug="hbm", title="H")
    bad = Chart(
        layer=make_layer("Fabrication"),
        page=page,
        kind=Kind.BULLETIN,
        title="Incidents",
        slug="incidents",
    )

    with pytest.raises(ValidationError) as caught:
        bad.full_clean()

    assert caught.value.message_dict["page"] == [
        "That chart page belongs to Memory, not to Fabrication."
    ]


def test_a_chart_page_cannot_take_the_address_of_another_page():
    layer = make_layer("AI Accelerators")
    page = ChartPage(layer=layer, slug="effective-compute", title="Compute")

    with pytest.raises(ValidationError) as caught:
        page.full_clean()

    assert "is already the address of another page of the site" in str(caught.value)


# Drawing


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_is_drawn_as_accessible_svg_at_two_widths(kind):
    drawn = chart(kind=kind, data=GOOD[kind], slug=f"good-{kind}").drawing

    for name, width in (("wide", 720), ("narrow", 340)):
        svg = str(getattr(drawn, name))
        ident = f"chart-good-{kind}-{name}"
        assert svg.startswith(f'<svg class="chart__svg chart__svg--{name} ')
        assert f'viewBox="0 0 {width} ' in svg
        assert 'role="img"' in svg
        assert f'aria-labelledby="{ident}-title {ident}-desc"' in svg
        assert f'<title id="{ident}-title">Leading-edge capacity</title>' in svg
        assert f'<desc id="{ident}-desc">{Kind(kind).label}. ' in svg
        assert " style=" not in svg


@pytest.mark.parametrize("kind", list(Kind))
def test_every_figure_drawn_is_in_the_table(kind):
    made = chart(kind=kind, data=GOOD[kind], slug=f"good-{kind}")

    for svg in (str(made.drawing.wide), str(made.drawing.narrow)):
        assert value_numbers(svg) <= table_numbers(made)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_single_row_is_drawn(kind):
    made = chart(kind=kind, data=SINGLE[kind], slug=f"one-{kind}")
    label = SINGLE[kind].split("\n")[1].split(" | ")[0]

    assert label in str(made.drawing.wide)
    assert label in str(made.drawing.narrow)


@pytest.mark.parametrize("kind", list(Kind))
def test_an_empty_table_says_there_are_no_figures_yet(kind, client):
    made = chart(kind=kind, data="", sources="", slug=f"empty-{kind}")

    html = client.get(reverse("charts:detail", args=[made.slug])).content.decode()

    assert str(made.drawing.wide).count("No figures yet.") == 1
    assert f"{Kind(kind).label}: no figures yet." in made.drawing.desc
    assert '<p class="empty">No figures yet.</p>' in html


def test_the_description_reads_the_figures_out():
    made = chart(data=GOOD[Kind.RANKED])

    assert made.drawing.desc == (
        "Ranked bars / podium. 1. Taiwan 69%; 2. South Korea 31%; 3. China 0%."
    )


def test_a_missing_figure_is_written_not_drawn():
    made = chart(kind=Kind.GROUPED, data=GOOD[Kind.GROUPED])
    wide = str(made.drawing.wide)

    assert wide.count(">no public figure<") == 2
    assert ">17 companies<" in wide
    assert ">3 companies<" in wide


def test_the_trackers_own_estimates_are_outlined_and_labelled(client):
    made = chart(kind=Kind.RANGES, data=GOOD[Kind.RANGES])

    wide = str(made.drawing.wide)
    html = client.get(reverse("charts:detail", args=[made.slug])).content.decode()

    assert "chart__mark--own" in wide
    assert "tracker’s own estimate" in wide
    assert "Dashed outline: the tracker’s own estimate" in wide
    assert "Tracker&#x27;s own estimate</span>" in html


def test_what_analysts_type_is_escaped_in_the_drawing():
    made = chart(data='label | value\n<script>alert("x")</script> | 5')

    svg = str(made.drawing.wide)

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_the_podium_ranks_ties_together():
    made = chart(data="label | value\nTaiwan | 69\nSouth Korea | 31\nUS | 0\nChina | 0")

    assert "3. US 0%; 3. China 0%" in made.drawing.desc
    assert ">US · China<" in str(made.drawing.wide)


STEP = re.compile(r'<rect class="chart__step [^"]*"')
SLAB = re.compile(r'<path class="chart__slab ([^"]+)" d="M[\d.]+,([\d.]+) V([\d.]+) ')


def test_a_one_row_podium_draws_one_step():
    made = chart(data="label | value\nTaiwan | 69")

    wide = str(made.drawing.wide)

    assert len(STEP.findall(wide)) == 1
    assert re.findall(r'<text class="chart__rank[^>]*>([^<]*)<', wide) == ["1"]


def test_a_podium_draws_only_the_places_it_has_figures_for():
    made = chart(data="label | value\nTaiwan | 69\nKorea | 31")
    two = str(made.drawing.wide)
    tied = chart(made.layer, data="label | value\nTaiwan | 50\nKorea | 50", slug="tied")
    tied = str(tied.drawing.wide)

    assert len(STEP.findall(two)) == 2
    assert len(STEP.findall(tied)) == 1
    assert ">Taiwan · Korea<" in tied


def test_each_wafer_slab_is_as_thick_as_its_share():
    made = chart(kind=Kind.STACK, data=GOOD[Kind.STACK])

    for svg in (str(made.drawing.wide), str(made.drawing.narrow)):
        slabs = [(cls, float(low) - float(top)) for cls, top, low in SLAB.findall(svg)]
        shares = [69, 31, 47, 2]
        assert len(slabs) == 4
        per_point = {round(height / share, 3) for (_, height), share in zip(
            slabs, shares, strict=True)}  # fmt: skip
        assert len(per_point) == 1
        # No face in a region's colour sits on top: the 2% slab stays 2%.
        assert not re.search(r'<ellipse class="chart__fill--(?!none)', svg)


def test_heatmap_cells_that_are_own_estimates_are_outlined_and_the_key_says_so(
    client,
):
    data = "label | 2024 | 2025 | confidence\nUS labs | most | all | unsourced\n"
    made = chart(kind=Kind.HEATMAP, data=data + "Chinese labs | rare | some |")
    sourced = chart(
        made.layer, kind=Kind.HEATMAP, data=GOOD[Kind.HEATMAP], slug="sourced"
    )

    wide = str(made.drawing.wide)
    html = client.get(reverse("charts:detail", args=[made.slug])).content.decode()

    assert wide.count('class="chart__outline"') == 2 + 1  # two cells, the key
    assert "Dashed outline: the tracker’s own estimate" in wide
    assert "Figures drawn with a dashed outline" in html
    assert "chart__outline" not in str(sourced.drawing.wide)
    assert (
        "Figures drawn with a dashed outline"
        not in client.get(
            reverse("charts:detail", args=[sourced.slug])
        ).content.decode()
    )


def test_a_stack_leaves_what_its_source_does_not_break_down_open():
    made = chart(kind=Kind.STACK, data=GOOD[Kind.STACK] + "\n2032 | South Korea | ")

    wide = str(made.drawing.wide)

    assert "Rest: 51% not broken down" in wide
    assert "Not given: South Korea" in wide


# Flows


BOX = re.compile(
    r'<rect class="chart__box[^"]*" x="([-\d.]+)" y="([-\d.]+)" '
    r'width="([\d.]+)" height="([\d.]+)"'
)
LINK = re.compile(r'<path class="chart__link[^"]*" d="([^"]+)"/>')
LABEL_BOX = re.compile(
    r'<rect class="chart__link-label" x="([-\d.]+)" y="([-\d.]+)" '
    r'width="([\d.]+)" height="([\d.]+)"'
)
NAME = re.compile(r'<text class="chart__text chart__text--strong"[^>]*>([^<]*)</text>')
CHAIN = ["Clean", "Deposit", "Expose", "Etch", "Inspect", "Implant", "Anneal"]


def boxes(svg):
    """Each box of a flow as (x, y, width, height), in the drawing's order."""
    return [tuple(float(n) for n in found) for found in BOX.findall(svg)]


def curve_points(d, steps=24):
    """Points along an SVG path of M and C commands."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
    points, start = [], pairs[0]
    for index in range(1, len(pairs) - 2, 3):
        p1, p2, p3 = pairs[index : index + 3]
        for step in range(steps + 1):
            t = step / steps
            points.append(
                tuple(
                    (1 - t) ** 3 * a
                    + 3 * (1 - t) ** 2 * t * b
                    + 3 * (1 - t) * t**2 * c
                    + t**3 * e
                    for a, b, c, e in zip(start, p1, p2, p3, strict=True)
                )
            )
        start = p3
    return points


def chain_chart(slug="chain"):
    rows = [f"{a} | {b}" for a, b in zip(CHAIN, CHAIN[1:] + [""], strict=True)]
    return chart(kind=Kind.FLOW, data="node | to\n" + "\n".join(rows), sources="",
                 slug=slug)  # fmt: skip


def test_a_flow_that_fits_runs_left_to_right():
    made = chart(kind=Kind.FLOW, data=GOOD[Kind.FLOW])

    wide = str(made.drawing.wide)
    placed = boxes(wide)

    assert [x for x, *_ in placed] == sorted(x for x, *_ in placed)
    assert placed[0][0] < placed[1][0] < placed[2][0]
    assert wide.count('class="chart__arrowhead"') == 2
    assert all(x >= 0 and x + width <= 720 for x, _, width, _ in placed)


def test_a_long_flow_runs_top_to_bottom_in_boxes_as_wide_as_the_chart():
    made = chain_chart()

    for svg, width in ((str(made.drawing.wide), 720), (str(made.drawing.narrow), 340)):
        placed = boxes(svg)
        assert [y for _, y, *_ in placed] == sorted(y for _, y, *_ in placed)
        assert {round(w) for *_, w, _ in placed} == {width}
        assert svg.count('class="chart__arrowhead"') == 6
        assert "→ " not in svg
        assert NAME.findall(svg) == CHAIN


def test_a_flow_starts_with_its_sources_in_the_tables_order():
    made = chart(
        kind=Kind.FLOW,
        data="node | to\nUS | Institute\nUK | Institute\nChina | Association\n"
        "Institute | Partners\nAssociation |\nPartners |",
        sources="",
    )

    wide = str(made.drawing.wide)
    tops = dict(zip(NAME.findall(wide), (y for _, y, *_ in boxes(wide)), strict=True))

    assert tops["US"] < tops["UK"] < tops["China"]


def test_a_links_figure_sits_beside_the_link_not_on_it(content_charts):
    flows = Chart.objects.get(slug="safety-funding-flows")

    wide = str(flows.drawing.wide)
    labels = [tuple(float(n) for n in found) for found in LABEL_BOX.findall(wide)]

    assert ">£100 million initial<" in wide
    assert len(labels) == 2
    for d in LINK.findall(wide):
        for px, py in curve_points(d):
            for x, y, width, height in labels:
                assert not (x < px < x + width and y < py < y + height), d


def test_links_and_boxes_stay_inside_the_drawing(content_charts):
    for slug in ("safety-funding-flows", "critical-path"):
        drawing = Chart.objects.get(slug=slug).drawing
        for svg, width in ((str(drawing.wide), 720), (str(drawing.narrow), 340)):
            height = float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', svg)[1])
            for x, y, w, h in boxes(svg):
                assert x >= 0 and x + w <= width + 0.5 and y + h <= height, slug
            for d in LINK.findall(svg):
                assert all(0 <= px <= width for px, _ in curve_points(d)), slug


def test_a_flow_too_wide_for_a_phone_keeps_to_one_list(content_charts):
    flows = Chart.objects.get(slug="safety-funding-flows")

    narrow = str(flows.drawing.narrow)
    placed = boxes(narrow)

    assert {(x, round(w)) for x, _, w, _ in placed} == {(0, 340)}
    assert [y for _, y, *_ in placed] == sorted(y for _, y, *_ in placed)
    assert re.search(r">→ US AI Safety Institute", narrow)
    assert re.search(r">→ CnAISDA", narrow)


def test_a_flow_on_a_phone_writes_links_inside_the_box_but_below():
    made = chart(
        kind=Kind.FLOW,
        data="node | to\nA | D\nB | D\nC | D\nD | E\nE |",
        sources="",
    )

    wide, narrow = str(made.drawing.wide), str(made.drawing.narrow)

    assert wide.count('class="chart__arrowhead"') == 4
    assert ">→ " not in wide
    assert narrow.count(">→ D<") == 2
    assert narrow.count('class="chart__arrowhead"') == 2


def test_without_graphviz_a_flow_shows_its_table_and_says_why(
    client, monkeypatch, caplog
):
    made = chart(kind=Kind.FLOW, data=GOOD[Kind.FLOW])
    monkeypatch.setenv("PATH", "/nonexistent")
    layout._run_dot.cache_clear()

    response = client.get(reverse("charts:detail", args=[made.slug]))
    layout._run_dot.cache_clear()

    html = response.content.decode()
    plot = html[html.index('id="chart-capacity-share-plot"') :]
    assert response.status_code == 200
    assert "This diagram cannot be drawn just now." in plot[: plot.index("</div>")]
    assert "<svg" not in plot[: plot.index("</div>")]
    assert '<details class="chart__data" open>' in html
    assert "<td>US$ million</td>" in html
    assert "Graphviz could not lay out a flow chart." in caplog.text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (69, "%", "69%"),
        (10, "US$ million", "US$10 million"),
        (100, "£ million", "£100 million"),
        (3, "companies", "3 companies"),
        (3_600_000, "", "3,600,000"),
        (0.14, "weeks", "0.14 weeks"),
    ],
)
def test_figures_are_written_with_their_units(value, unit, text):
    assert rendering.with_unit(value, unit) == text


def test_wrapped_lines_fit_their_width():
    text = "Applied Materials, Lam Research, Tokyo Electron, ASM International"

    lines = rendering.wrap(text, 150, rendering.SMALL)

    assert len(lines) > 1
    assert all(rendering.text_width(line, rendering.SMALL) <= 150 for line in lines)
    assert " ".join(lines) == text


# Pages, fragments and downloads


def test_a_chart_has_a_page_of_its_own(client):
    made = chart()

    response = client.get(reverse("charts:detail", args=[made.slug]))
    html = response.content.decode()

    assert response.status_code == 200
    assert html.lstrip().startswith("<!doctype html>")
    assert '<h1 id="chart-capacity-share-heading" class="chart__title">' in html
    assert "chart__plot--filled" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_gets_only_the_drawing(client):
    made = chart()

    response = client.get(reverse("charts:detail", args=[made.slug]), **HTMX)
    html = response.content.decode()

    assert response.status_code == 200
    assert "<!doctype html>" not in html
    assert html.strip().startswith('<div id="chart-capacity-share-plot"')
    assert 'class="chart__plot chart__plot--filled"' in html
    assert "hx-get" not in html
    assert html.count("<svg") == 2
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client):
    made = chart()

    response = client.get(reverse("charts:detail", args=[made.slug]), **HISTORY_RESTORE)

    assert response.content.decode().lstrip().startswith("<!doctype html>")


def test_a_table_cell_a_spreadsheet_would_run_downloads_quoted(client):
    made = chart(data="label | value | note\nTaiwan | 69 | =1+2")

    response = client.get(reverse("charts:csv", args=[made.slug]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[1] == ["Taiwan", "69", "'=1+2"]


def test_the_table_downloads_as_utf8_csv(client):
    made = chart(data="label | value | note\nTaiwan | 69 | 2022–2032, “projected”")

    response = client.get(reverse("charts:csv", args=[made.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="capacity-share.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        ["label", "value", "note"],
        ["Taiwan", "69", "2022–2032, “projected”"],
    ]


def test_the_csv_address_is_the_charts_slug_dot_csv():
    assert reverse("charts:csv", args=["critical-path"]) == "/charts/critical-path.csv"


def test_a_hidden_chart_is_only_for_staff(client, admin_client):
    made = chart(is_shown=False)

    assert client.get(reverse("charts:detail", args=[made.slug])).status_code == 404
    assert client.get(reverse("charts:csv", args=[made.slug])).status_code == 404
    assert (
        admin_client.get(reverse("charts:detail", args=[made.slug])).status_code == 200
    )


def test_an_unknown_chart_is_not_found(client):
    assert client.get("/charts/no-such-chart/").status_code == 404
    assert client.get("/charts/no-such-chart.csv").status_code == 404


def test_the_page_and_its_table_show_the_sources(client):
    made = chart(sources="- SIA & BCG (2024)\n- USGS (2025)")

    html = client.get(reverse("charts:detail", args=[made.slug])).content.decode()

    assert "<li>SIA &amp; BCG (2024)</li>" in html
    assert "<li>USGS (2025)</li>" in html
    assert '<th scope="col">label</th>' in html
    assert '<th scope="row">Taiwan</th>' in html
    assert 'href="/charts/capacity-share.csv" download' in html


def test_the_table_is_a_named_region_the_keyboard_reaches(client):
    made = chart()

    html = client.get(reverse("charts:detail", args=[made.slug])).content.decode()

    assert (
        '<div class="chart__table-wrap" tabindex="0" role="region" '
        'aria-labelledby="chart-capacity-share-caption">'
    ) in html
    assert (
        '<caption id="chart-capacity-share-caption" class="visually-hidden">'
        "Leading-edge capacity: the figures</caption>"
    ) in html


# On the layer page


def test_charts_sit_under_their_branch_and_the_rest_after_the_explanations(client):
    layer = make_layer("Testing and Safety Science")
    inside = add_section(layer, "Internal Safety Departments", is_branch=True)
    add_section(layer, "Pre-release testing windows", position=2)
    add_section(layer, "External Safety Teams", is_branch=True, position=3)
    chart(
        layer,
        slug="windows",
        kind=Kind.BULLETIN,
        data="title\nA",
        branch=inside.heading,
    )
    chart(layer, slug="loose", kind=Kind.BULLETIN, data="title\nB", title="Loose")

    html = client.get(layer.get_absolute_url()).content.decode()

    internal = html.index(">Internal Safety Departments</h2>")
    external = html.index(">External Safety Teams</h2>")
    assert internal < html.index('id="chart-windows"') < external
    assert html.index('id="charts"') > html.index('id="chart-windows"')
    assert html.index('id="chart-loose"') > html.index('id="charts"')


def test_a_chart_on_the_layer_page_waits_to_be_revealed_but_is_complete(client):
    made = chart()

    html = client.get(made.layer.get_absolute_url()).content.decode()

    assert (
        '<div id="chart-capacity-share-plot" class="chart__plot '
        'chart__plot--pending" hx-get="/charts/capacity-share/" '
        'hx-trigger="intersect once threshold:0.1" hx-swap="outerHTML">'
    ) in html
    plot = html[html.index('id="chart-capacity-share-plot"') :]
    assert plot.index("<svg") < plot.index("</div>")
    assert " style=" not in html


def test_a_layer_links_its_chart_pages(client):
    layer = make_layer("Fabrication")
    page = ChartPage.objects.create(
        layer=layer, slug="capacity", title="Who makes the leading edge"
    )
    chart(layer, page=page)

    html = client.get(layer.get_absolute_url()).content.decode()

    assert 'href="/layer/fabrication/capacity/"' in html
    assert "Who makes the leading edge" in html
    assert 'id="chart-capacity-share"' not in html


def test_a_layer_without_charts_has_no_charts_block(client):
    layer = make_layer()

    html = client.get(layer.get_absolute_url()).content.decode()

    assert 'id="charts"' not in html


def test_hidden_charts_stay_off_the_layer_page(client):
    made = chart(is_shown=False)

    html = client.get(made.layer.get_absolute_url()).content.decode()

    assert "chart-capacity-share" not in html


def test_a_chart_page_shows_its_charts(client):
    layer = make_layer("Fabrication")
    page = ChartPage.objects.create(
        layer=layer, slug="capacity", title="Who makes it", summary="Where it is."
    )
    chart(layer, page=page)
    chart(layer, page=page, slug="hidden", is_shown=False)

    response = client.get("/layer/fabrication/capacity/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<h1 id="page-title" class="layer-head__title">Who makes it</h1>' in html
    assert 'id="chart-capacity-share"' in html
    assert 'id="chart-hidden"' not in html
    assert client.get("/layer/fabrication/no-such-page/").status_code == 404


def test_chart_pages_leave_the_layers_own_addresses_alone(client):
    layer = make_layer("Fabrication")

    assert client.get(f"/layer/{layer.slug}/comparison/").status_code == 200


# The charts that ship with the content


def test_the_content_charts_load_once(content_charts):
    again = import_charts(parse_charts(CHARTS_FILE.read_text(encoding="utf-8")))

    assert content_charts.created_charts == 10
    assert content_charts.created_pages == 1
    assert again.lines() == [
        "Created nothing: every chart in the charts file already exists."
    ]
    assert Chart.objects.count() == 10


def test_a_chart_changed_in_the_admin_is_left_alone(content_charts):
    Chart.objects.filter(slug="critical-path").update(title="Tool steps")

    report = import_charts(parse_charts(CHARTS_FILE.read_text(encoding="utf-8")))

    assert Chart.objects.get(slug="critical-path").title == "Tool steps"
    assert report.left_alone == [
        "Chart The critical path of a leading-edge node (title differs from the "
        "charts file)"
    ]


def test_the_testing_layers_seven_visuals_sit_under_its_branches(content_charts):
    placed = dict(
        Chart.objects.filter(layer__slug="testing-and-safety-science").values_list(
            "slug", "branch"
        )
    )

    assert placed == {
        "system-card-habits": "Internal Safety Departments",
        "inference-overhead": "Internal Safety Departments",
        "pre-release-testing": "Internal Safety Departments",
        "safety-dashboard": "Internal Safety Departments",
        "safety-talent-tiers": "External Safety & Testing Metrics",
        "safety-funding-flows": "External Safety & Testing Metrics",
        "incident-board": "External Safety & Testing Metrics",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/layer/semiconductor-equipment/",
        "/layer/testing-and-safety-science/",
        "/layer/fabrication/capacity/",
    ],
)
def test_every_figure_on_the_page_is_in_its_charts_table(content_charts, client, url):
    html = client.get(url).content.decode()
    figures = re.findall(r'<figure id="chart-([-\w]+)"', html)

    assert figures
    for slug in figures:
        made = Chart.objects.get(slug=slug)
        start = html.index(f'<figure id="chart-{slug}"')
        block = html[start : html.index("</figure>", start)]
        numbers = value_numbers(block)
        assert numbers <= table_numbers(made), slug


def test_the_fabrication_page_ranks_the_published_shares(content_charts, client):
    podium = Chart.objects.get(slug="leading-edge-podium")

    assert podium.drawing.desc == (
        "Ranked bars / podium. 2022: 1. Taiwan 69%; 2. South Korea 31%; "
        "3. United States 0%; 3. China 0%. 2032 projection: 1. Taiwan 47%; "
        "2. United States 28%; 3. China 2%; South Korea: not given."
    )
    html = client.get("/layer/fabrication/").content.decode()
    assert 'href="/layer/fabrication/capacity/"' in html


def test_the_critical_path_marks_each_steps_constraint(content_charts):
    path = Chart.objects.get(slug="critical-path")

    levels = {row.label: row.level for row in path.dataset.rows}

    assert len(levels) == 9
    assert levels["Lithography"] == "critical"
    assert set(levels.values()) == {"low", "medium", "high", "critical"}
    assert "Constraint for China (tracker&#x27;s assessment):" in str(path.drawing.wide)
    assert "ASML" in str(path.drawing.wide)
    assert "SMEE" in str(path.drawing.narrow)


def test_figures_without_a_source_show_as_the_trackers_own(content_charts, client):
    html = client.get("/layer/testing-and-safety-science/").content.decode()

    for slug in ("inference-overhead", "pre-release-testing"):
        start = html.index(f'<figure id="chart-{slug}"')
        block = html[start : html.index("</figure>", start)]
        assert "tracker’s own estimate" in block
        assert "Tracker&#x27;s own estimate" in block


def test_a_table_mistake_in_the_charts_file_names_its_line():
    text = CHARTS_FILE.read_text(encoding="utf-8").replace(
        "| 2022 | South Korea | 31 | US & Allies | 2022 |",
        "| 2022 | South Korea | about 31 | US & Allies | 2022 |",
        1,
    )
    line = text[: text.index("about 31")].count("\n") + 1

    with pytest.raises(ParseError) as caught:
        parse_charts(text)

    assert caught.value.line_number == line
    assert "row 2: value must be a number" in str(caught.value)


def test_the_charts_file_must_name_layers_that_exist(stack):
    text = (
        "## Chart: Shares\n\n- **Layer:** Quantum\n- **Slug:** q\n"
        "- **Kind:** bulletin\n\n| title |\n|---|\n| AIID |\n"
    )

    with pytest.raises(ImportConflict, match="names the layer 'Quantum' \\(line 1\\)"):
        import_charts(parse_charts(text))


def test_the_charts_file_refuses_an_unknown_field():
    text = "## Chart: Shares\n\n- **Layer:** Memory\n- **Colour:** red\n"

    with pytest.raises(ParseError, match="line 4: expected one of the fields"):
        parse_charts(text)


def test_the_charts_file_refuses_a_shown_chart_with_no_rows():
    text = (
        "## Chart: Shares\n\n- **Layer:** Memory\n- **Slug:** shares\n"
        "- **Kind:** ranked\n\nA note.\n\n| label | value |\n|---|---|\n"
    )

    with pytest.raises(ParseError, match="line 9: expected a table with at least"):
        parse_charts(text)
    hidden = parse_charts(text.replace("- **Kind:**", "- **Shown:** no\n- **Kind:**"))
    assert hidden.charts[0].is_shown is False


# What each editorial note the importer drops asked for, and where it is.
MODULES = {
    "Next: we can add a “critical path” diagram": (
        "/layer/semiconductor-equipment/",
        'id="chart-critical-path"',
    ),
    "Next: we can attach the fabrication podium": (
        "/layer/fabrication/",
        'href="/layer/fabrication/capacity/"',
    ),
    "This layer is designed for maximum interactivity": (
        "/layer/testing-and-safety-science/",
        'id="chart-safety-funding-flows"',
    ),
    "Below is a first‑principles embedded module": (
        "/layer/ai-accelerators/",
        'id="effective-compute"',
    ),
}


def test_every_note_the_importer_drops_asked_for_a_module_the_site_has(
    content_charts, client
):
    figures = CHARTS_FILE.with_name("figures.md").read_text(encoding="utf-8")
    import_figures(parse_figures(figures))

    assert set(MODULES) == set(FULFILLED_NOTES)
    for note, (url, mark) in MODULES.items():
        html = client.get(url).content.decode()
        assert mark in html, note
    assert client.get("/layer/ai-accelerators/effective-compute/").status_code == 200
    notes = "\n".join(Layer.objects.values_list("internal_notes", flat=True))
    assert "Next:" not in notes
    assert not any(note in notes for note in MODULES)


def test_the_effective_compute_note_leaves_layers_imported_before(db):
    layer = make_layer(
        "AI Accelerators",
        internal_notes="Below is a first‑principles embedded module that turns "
        "“Effective FLOPs produced” into a compact, scroll‑driven comparison."
        "\n\nAsk the vendors for MFU.",
    )
    migration = importlib.import_module(
        "charts.migrations.0004_retire_effective_compute_note"
    )

    migration.retire(apps, None)

    layer.refresh_from_db()
    assert layer.internal_notes == "Ask the vendors for MFU."
    assert layer.version == 2


def test_fulfilled_notes_leave_layers_imported_before(db):
    layer = make_layer(
        "Fabrication",
        internal_notes="Check TSMC's figures.\n\nNext: we can attach the fabrication "
        "podium/wafer‑stack visualization as a dedicated page and link to it here.",
    )
    migration = importlib.import_module("charts.migrations.0003_retire_fulfilled_notes")

    migration.retire(apps, None)

    layer.refresh_from_db()
    assert layer.internal_notes == "Check TSMC's figures."
    assert layer.version == 2


# The admin


def test_the_admin_explains_the_table_and_draws_the_saved_chart(admin_client):
    made = chart()

    html = admin_client.get(
        reverse("admin:charts_chart_change", args=[made.pk])
    ).content.decode()

    assert "Flow between nodes</strong>: node, to (the node it flows into" in html
    assert 'class="chart chart-preview"' in html
    assert "chart__svg--wide" in html


def test_the_admin_refuses_a_bad_table_in_plain_words(admin_client):
    made = chart()
    url = reverse("admin:charts_chart_change", args=[made.pk])
    data = change_form_data(admin_client.get(url))
    data["data"] = ["label | value\nTaiwan | 69\nKorea | lots"]

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert (
        "row 2: value must be a number, or left empty if there is no public figure "
        "(it reads &#x27;lots&#x27;)."
    ) in response.content.decode()
    made.refresh_from_db()
    assert "lots" not in made.data


def test_the_admin_saves_a_good_table_and_keeps_its_history(admin_client):
    made = chart()
    url = reverse("admin:charts_chart_change", args=[made.pk])
    data = change_form_data(admin_client.get(url))
    data["data"] = ["label\tvalue\nTaiwan\t47\nUnited States\t28"]

    response = admin_client.post(url, data)

    assert response.status_code == 302
    made.refresh_from_db()
    assert [row.label for row in made.dataset.rows] == ["Taiwan", "United States"]
    assert made.history.count() == 2


def test_the_admin_refuses_to_show_a_chart_with_no_rows(admin_client):
    made = chart()
    url = reverse("admin:charts_chart_change", args=[made.pk])
    data = change_form_data(admin_client.get(url))
    data["data"] = ["label | value"]

    refused = admin_client.post(url, data)
    data.pop("is_shown", None)
    hidden = admin_client.post(url, data)

    assert refused.status_code == 200
    assert "The table has no rows, so readers would see an empty chart." in (
        refused.content.decode()
    )
    assert hidden.status_code == 302
    made.refresh_from_db()
    assert made.data == "label | value"
    assert not made.is_shown


def test_analysts_keep_the_charts():
    analysts = Group.objects.get(name="Analysts")

    granted = set(
        analysts.permissions.filter(content_type__app_label="charts").values_list(
            "codename", flat=True
        )
    )

    assert granted == {
        f"{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in ("chart", "chartpage")
    }
    assert Permission.objects.filter(codename="add_chart").exists()


def test_layers_keep_their_charts_when_a_chart_page_goes(client):
    layer = make_layer("Fabrication")
    page = ChartPage.objects.create(layer=layer, slug="capacity", title="Capacity")
    made = chart(layer, page=page)

    page.delete()

    made.refresh_from_db()
    assert made.page is None
    assert Layer.objects.filter(pk=layer.pk).exists()
