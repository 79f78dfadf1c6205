"""Loading content/figures.md: each table row becomes one side's figure."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from layers.importer import (
    ImportConflict,
    ParseError,
    import_figures,
    parse_figures,
)
from layers.models import Confidence, Layer, Metric, MetricValue, Side
from tests.conftest import CONTENT_DOCUMENT

FIGURES = CONTENT_DOCUMENT.with_name("figures.md")
HEADER = "| metric | side | value | unit | year | source | confidence | note |"
RULE = "|---|---|---|---|---|---|---|---|"


def figures_text():
    return FIGURES.read_text(encoding="utf-8")


def table(*rows, layer="Talent"):
    return "\n".join([f"## {layer}", "", HEADER, RULE, *rows]) + "\n"


def value(layer, metric, side):
    return MetricValue.objects.get(
        metric__layer__slug=layer, metric__name=metric, side=side
    )


@pytest.fixture(scope="module")
def rows():
    return parse_figures(figures_text())


@pytest.fixture
def figures(stack, rows):
    return import_figures(rows)


def run_command(*args):
    out = StringIO()
    call_command("import_stack", *args, stdout=out)
    return out.getvalue()


class TestParse:
    def test_reads_every_row_of_every_table(self, rows):
        assert len(rows) == 39
        assert len({row.layer for row in rows}) == 10

    def test_the_heading_names_the_layer_without_its_aside(self, rows):
        assert {row.layer for row in rows if row.metric == "Units shipped"} == {
            "AI Accelerators"
        }

    def test_a_range_keeps_both_ends(self, rows):
        row = next(r for r in rows if r.metric.startswith("Mining share"))
        assert (row.side, row.low, row.high) == (Side.CHINA, 61, 69)

    def test_reads_powers_of_ten(self, rows):
        row = next(
            r
            for r in rows
            if r.metric == "Peak FLOP/s per unit" and r.side == Side.CHINA
        )
        assert (row.low, row.high) == (7.8e14, 8.0e14)

    def test_a_figure_in_words_is_kept_as_text(self, rows):
        row = next(r for r in rows if r.metric == "Most advanced node in production")
        assert (row.low, row.text) == (None, "5 nm-class (N+3, a scaled 7 nm)")

    def test_a_dash_is_no_public_figure(self, rows):
        row = next(r for r in rows if r.metric == "CoWoS-class capacity")
        assert (row.low, row.high, row.text, row.year) == (None, None, "", None)

    def test_a_dash_for_the_side_is_a_context_figure(self, rows):
        context = [row for row in rows if row.side is None]
        assert [row.metric for row in context] == [
            "Average top-3 refiner share, six key minerals"
        ]

    def test_notes_keep_what_readers_need_not_instructions(self, rows):
        notes = {(r.metric, r.side): r.note for r in rows}
        assert notes[("Units shipped", Side.CHINA)] == "sources conflict"
        assert (
            notes[("Inference overhead for safety", Side.US)]
            == "no public source found"
        )
        assert notes[("Refining share (rare earth processing)", Side.US)] == ""

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            ("| Pool | Europe | 3 | % | 2024 | s | solid | |", "the side"),
            ("| Pool | China | 3 | % | 24 | s | solid | |", "a year such as 2024"),
            ("| Pool | China | 9–3 | % | 2024 | s | solid | |", "from low to high"),
            ("| Pool | China | 3 | % | 2024 | s | sure | |", "the confidence"),
            ("| Pool | China | 3 | % | 2024 | s |", "8 cells in the row"),
            ("| | China | 3 | % | 2024 | s | solid | |", "a metric name"),
        ],
    )
    def test_mistakes_are_refused_with_their_line_number(self, row, message):
        with pytest.raises(ParseError, match=f"line 5: expected .*{message}"):
            parse_figures(table(row))

    def test_a_table_needs_the_expected_header(self):
        text = "## Talent\n\n| metric | side | value |\n|---|---|---|\n"
        with pytest.raises(ParseError, match="line 3: expected a header"):
            parse_figures(text)

    def test_a_table_needs_a_layer_heading(self):
        with pytest.raises(ParseError, match="line 1: expected a '## Layer name'"):
            parse_figures(f"{HEADER}\n{RULE}\n")

    def test_one_figure_per_metric_and_side(self):
        row = "| Pool (PhDs) | China | 3 | % | 2024 | s | solid | |"
        again = "| Pool | China | 4 | % | 2024 | s | solid | |"
        with pytest.raises(ParseError, match="line 6: .*line 5 has one"):
            parse_figures(table(row, again))


@pytest.mark.django_db
class TestImport:
    def test_creates_the_figures_and_the_metrics_they_need(self, figures):
        assert figures.created == {"metrics": 16, "metric values": 38}
        assert MetricValue.objects.count() == 38
        assert Metric.objects.count() == 30 + 16

    def test_a_figure_joins_the_document_metric_it_names(self, figures):
        mining = value("critical-minerals", "Mining share", Side.CHINA)
        assert (mining.low, mining.high, mining.unit, mining.year) == (
            61,
            69,
            "%",
            2024,
        )
        assert mining.note == "rare earths; the two sources count differently"
        assert not Metric.objects.filter(name__startswith="Mining share (").exists()

    def test_names_match_whatever_the_hyphen(self, figures):
        # The document writes "Leading‑edge" with a non-breaking hyphen.
        layer = Layer.objects.get(slug="fabrication")
        assert layer.metrics.filter(name__startswith="Leading").count() == 1
        edge = layer.metrics.get(name__startswith="Leading")
        assert edge.values.count() == 2

    def test_a_new_metric_comes_after_the_documents(self, figures):
        layer = Layer.objects.get(slug="ai-accelerators")
        assert [(m.position, m.name, m.key, m.formula) for m in layer.metrics.all()][
            2:
        ] == [
            (3, "Units shipped", "units-shipped", ""),
            (4, "Peak FLOP/s per unit", "peak-flops", ""),
            (5, "Realized MFU", "mfu", ""),
        ]

    def test_one_metric_named_two_ways_is_one_metric(self, figures):
        cowos = Layer.objects.get(slug="advanced-packaging").metrics.get(
            name="CoWoS capacity"
        )
        us, china = cowos.values.get(side=Side.US), cowos.values.get(side=Side.CHINA)
        assert (us.low, us.high, us.note) == (
            65000,
            80000,
            "TSMC; 2026 forecasts 90,000–130,000",
        )
        assert china.is_missing

    def test_keeps_text_source_and_confidence(self, figures):
        node = value("fabrication", "Most advanced node in production", Side.CHINA)
        assert node.text == "5 nm-class (N+3, a scaled 7 nm)"
        assert node.source == "TechInsights teardown of the Kirin 9030"
        overhead = value(
            "testing-and-safety-science", "Inference overhead for safety", Side.US
        )
        assert overhead.confidence == Confidence.UNSOURCED
        assert overhead.year is None

    def test_a_context_figure_is_reported_not_loaded(self, figures):
        assert figures.not_loaded == [
            "Critical Minerals · Average top-3 refiner share, six key minerals (86%)"
        ]
        assert not Metric.objects.filter(name__startswith="Average top-3").exists()

    def test_history_says_where_figures_came_from(self, figures):
        record = value("memory", "HBM share", Side.US).history.get()
        assert record.history_type == "+"

    def test_a_second_run_creates_and_changes_nothing(self, figures, rows):
        before = list(MetricValue.objects.order_by("pk").values())

        report = import_figures(rows)

        assert report.created_total == 0
        assert report.left_alone == []
        assert list(MetricValue.objects.order_by("pk").values()) == before

    def test_admin_edits_are_kept_and_reported(self, figures, rows):
        mfu = value("ai-accelerators", "Realized MFU", Side.US)
        mfu.low = mfu.high = 50
        mfu.save()

        report = import_figures(rows)

        mfu.refresh_from_db()
        assert (mfu.low, mfu.high) == (50, 50)
        assert report.left_alone == [
            "Figure AI Accelerators · Realized MFU · US & Allies "
            "(low and high differ from the figures)"
        ]

    def test_a_deleted_figure_comes_back(self, figures, rows):
        value("talent", "Top-tier AI researchers working in the country", "us").delete()

        report = import_figures(rows)

        assert report.created == {"metric values": 1}

    def test_a_module_metric_renamed_in_the_admin_is_still_found(self, figures, rows):
        Metric.objects.filter(key="mfu").update(name="Utilization")

        report = import_figures(rows)

        assert report.created_total == 0
        assert not Metric.objects.filter(name="Realized MFU").exists()

    def test_an_unknown_layer_writes_nothing(self, stack):
        rows = parse_figures(table("| Pool | China | 3 | % | 2024 | s | solid | |"))
        rows += parse_figures(
            table("| Pool | China | 3 | % | 2024 | s | solid | |", layer="Nope")
        )

        with pytest.raises(ImportConflict, match="the layer 'Nope'"):
            import_figures(rows)
        assert not MetricValue.objects.exists()


@pytest.mark.django_db
class TestCommand:
    def test_loads_the_figures_beside_the_document_by_default(self):
        output = run_command(str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")

        assert f"Read 39 figures from {FIGURES}." in output
        assert MetricValue.objects.count() == 38

    def test_a_second_run_creates_nothing(self):
        run_command(str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")

        output = run_command(str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")

        assert "Created nothing: everything in the figures already exists." in output
        assert "Left alone" not in output

    def test_no_figures_loads_the_document_only(self):
        output = run_command(
            str(CONTENT_DOCUMENT), "--as-of", "2026-12-02", "--no-figures"
        )

        assert "figures" not in output
        assert not MetricValue.objects.exists()

    def test_a_document_without_figures_beside_it_loads_alone(self, tmp_path):
        document = tmp_path / "stack.md"
        document.write_text(CONTENT_DOCUMENT.read_text(encoding="utf-8"))

        run_command(str(document), "--as-of", "2026-12-02")

        assert Layer.objects.count() == 14
        assert not MetricValue.objects.exists()

    def test_figures_can_be_named(self, tmp_path):
        path = tmp_path / "mine.md"
        path.write_text(table("| Pool | China | 3 | % | 2024 | s | solid | |"))

        output = run_command(
            str(CONTENT_DOCUMENT), "--as-of", "2026-12-02", "--figures", str(path)
        )

        assert f"Read 1 figure from {path}." in output
        assert value("talent", "Pool", Side.CHINA).low == 3

    def test_a_mistake_in_the_figures_imports_nothing(self, tmp_path):
        path = tmp_path / "bad.md"
        path.write_text(table("| Pool | Europe | 3 | % | 2024 | s | solid | |"))

        with pytest.raises(CommandError, match=r"bad\.md, line 5: expected"):
            run_command(
                str(CONTENT_DOCUMENT), "--as-of", "2026-12-02", "--figures", str(path)
            )
        assert not Layer.objects.exists()

    def test_an_unknown_layer_in_the_figures_imports_nothing(self, tmp_path):
        path = tmp_path / "odd.md"
        path.write_text(
            table("| Pool | China | 3 | % | 2024 | s | solid | |", layer="Nope")
        )

        with pytest.raises(CommandError, match="Nothing was imported"):
            run_command(
                str(CONTENT_DOCUMENT), "--as-of", "2026-12-02", "--figures", str(path)
            )
        assert not Layer.objects.exists()


def test_the_figures_file_is_where_the_command_looks():
    assert Path(FIGURES).is_file()
