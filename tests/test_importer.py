import datetime
import re
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from layers import importer
from layers.importer import (
    CHANGE_REASON,
    SCORE_RATIONALE,
    SCORE_SOURCE,
    Age,
    ImportConflict,
    ParseError,
    import_document,
    parse_age,
    parse_document,
    publish_time,
)
from layers.models import Layer, Metric, Page, Score, Section, Side
from news.models import Development
from tests.conftest import CONTENT_DOCUMENT, STACK_AS_OF

LAYER_NAMES = [
    "Critical Minerals",
    "Power Infrastructure",
    "Semiconductor Equipment",
    "Fabrication",
    "Advanced Packaging",
    "Memory",
    "AI Accelerators",
    "AI Factory",
    "Platform",
    "Frontier Model",
    "Testing and Safety Science",
    "Curated Data",
    "AI Applications & Products",
    "Talent",
]
NOTES = [
    "Next: we can add a “critical path” diagram",
    "Next: we can attach the fabrication podium",
    "Below is a first‑principles embedded module",
    "This layer is designed for maximum interactivity",
]
MODELS = [Page, Layer, Layer.related.through, Score, Metric, Section, Development]


def content():
    return CONTENT_DOCUMENT.read_text(encoding="utf-8")


def edit(text, layer, old, new):
    """Replace the first ``old`` inside ``layer``.

    Return the new text and the number of the first line with text from
    the edit on, which is the line a parser trips over.
    """
    start = text.index(f"\n# {layer}\n")
    at = text.index(old, start)
    edited = text[:at] + new + text[at + len(old) :]
    at += len(new) - len(new.lstrip("\n"))
    lines = edited.split("\n")
    number = edited.count("\n", 0, at) + 1
    while not lines[number - 1].strip():
        number += 1
    return edited, number


def snapshot():
    """Every row the importer could touch, history included."""
    models = MODELS + [m.history.model for m in MODELS if hasattr(m, "history")]
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in models
    }


def local(dt):
    return dt.astimezone(ZoneInfo(settings.TIME_ZONE))


def noon(year, month, day):
    return datetime.datetime(year, month, day, 12, tzinfo=ZoneInfo(settings.TIME_ZONE))


def document_items():
    """Per layer, the headings the raw text holds, found without the parser."""
    items = {}
    for chunk in content().split("\n---\n")[1:]:
        lines = chunk.strip().splitlines()
        if not lines:
            continue
        name = lines[0].removeprefix("# ")
        metrics, sections, developments = [], [], []
        part = None
        for line in lines[1:]:
            if line.startswith("## "):
                part = line[3:]
                if part not in ("Key Metrics", "Recent Developments"):
                    sections.append(part)
            elif line.startswith("### "):
                target = developments if part == "Recent Developments" else sections
                target.append(line[4:])
            elif line.startswith("- **") and part == "Key Metrics":
                metrics.append(line[4:].split(":**")[0])
        items[name] = {
            "metrics": metrics,
            "sections": sections,
            "developments": developments,
        }
    return items


def run_command(*args):
    out = StringIO()
    call_command("import_stack", *args, stdout=out)
    return out.getvalue()


class TestParsing:
    def test_finds_the_fourteen_layers_bottom_to_top(self, stack_document):
        layers = stack_document.layers
        assert [layer.name for layer in layers] == LAYER_NAMES
        assert [layer.position for layer in layers] == list(range(1, 15))

    def test_slugs_come_from_the_names(self, stack_document):
        slugs = [layer.slug for layer in stack_document.layers]
        assert "frontier-model" in slugs
        assert "ai-applications-products" in slugs
        assert slugs[0] == "critical-minerals"

    def test_reads_scores_and_leaders(self, stack_document):
        minerals, _, equipment, *_ = stack_document.layers
        assert (minerals.us_score, minerals.china_score) == (Decimal(4), Decimal(8))
        assert minerals.leader == "China"
        assert (equipment.us_score, equipment.china_score) == (Decimal(10), Decimal(2))
        assert equipment.leader == "US & Allies"

    def test_accepts_even_on_a_tie(self):
        text, _ = edit(content(), "Critical Minerals", "8.0/10", "4.0/10")
        text, _ = edit(
            text, "Critical Minerals", "**Leader:** China", "**Leader:** Even"
        )
        assert parse_document(text).layers[0].leader == "Even"

    def test_refuses_editorial_notes_before_the_first_layer(self):
        text = content().replace(
            "The race is not over.\n", "The race is not over.\n\n> Plan: a chart.\n"
        )
        line_number = text.splitlines().index("> Plan: a chart.") + 1
        with pytest.raises(ParseError) as caught:
            parse_document(text)
        assert str(caught.value) == (
            f"line {line_number}: expected text (editorial notes belong in a "
            "layer), found '> Plan: a chart.'"
        )

    def test_keeps_the_tagline_out_of_the_summary_page(self, stack_document):
        assert stack_document.tagline.startswith("Assessing how the US stacks up")
        assert "Assessing" not in stack_document.state_of_the_stack.body


class TestAges:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("1 day ago", datetime.date(2026, 12, 1)),
            ("5 days ago", datetime.date(2026, 11, 27)),
            ("1 week ago", datetime.date(2026, 11, 25)),
            ("3 weeks ago", datetime.date(2026, 11, 11)),
            ("1 month ago", datetime.date(2026, 11, 2)),
            ("2 months ago", datetime.date(2026, 10, 2)),
            ("1 year ago", datetime.date(2025, 12, 2)),
            ("13 months ago", datetime.date(2025, 11, 2)),
        ],
    )
    def test_count_back_from_the_as_of_date(self, text, expected):
        assert parse_age(text).before(STACK_AS_OF) == expected

    @pytest.mark.parametrize(
        ("age", "as_of", "expected"),
        [
            (Age(1, "month"), datetime.date(2026, 3, 31), datetime.date(2026, 2, 28)),
            (Age(1, "month"), datetime.date(2026, 1, 15), datetime.date(2025, 12, 15)),
            (Age(1, "year"), datetime.date(2028, 2, 29), datetime.date(2027, 2, 28)),
        ],
    )
    def test_months_and_years_are_calendar_ones(self, age, as_of, expected):
        assert age.before(as_of) == expected

    def test_recent_has_no_age(self):
        assert parse_age("Recent") is None

    @pytest.mark.parametrize(
        "text", ["soon", "a week ago", "3 fortnights ago", "yesterday", "-1 days ago"]
    )
    def test_other_wording_is_refused(self, text):
        with pytest.raises(ValueError):
            parse_age(text)

    def test_publish_time_is_noon_in_the_newsroom_time_zone(self):
        published = publish_time(datetime.date(2026, 12, 1))
        assert timezone.is_aware(published)
        assert local(published) == noon(2026, 12, 1)
        assert local(published).hour == 12


@pytest.mark.django_db
class TestImport:
    def test_creates_what_the_document_holds(self, stack):
        assert stack.created == {
            "pages": 1,
            "layers": 14,
            "scores": 28,
            "metrics": 30,
            "sections": 67,
            "developments": 48,
            "related links": 2,
        }
        assert stack.left_alone == []
        assert list(Layer.objects.values_list("name", flat=True)) == LAYER_NAMES
        assert Score.objects.count() == 28
        assert Metric.objects.count() == 30
        assert Section.objects.count() == 67
        assert Development.objects.count() == 48

    def test_history_says_where_rows_came_from(self, stack):
        record = Layer.history.get(slug="talent")
        assert record.history_change_reason == CHANGE_REASON
        assert record.history_type == "+"

    def test_imports_every_item_once(self, stack):
        expected = document_items()
        assert list(expected) == LAYER_NAMES
        for layer in Layer.objects.all():
            items = expected[layer.name]
            assert [m.name for m in layer.metrics.all()] == items["metrics"]
            assert [s.heading for s in layer.sections.all()] == items["sections"]
            # Newest first, as readers see them, is the document's order.
            developments = layer.developments.newest_first()
            assert [d.title for d in developments] == items["developments"]

    def test_writes_the_state_of_the_stack_page(self, stack):
        page = Page.objects.get(slug=Page.STATE_OF_THE_STACK)
        assert page.title == "State of the Stack"
        paragraphs = page.body.split("\n\n")
        assert len(paragraphs) == 2
        assert paragraphs[0].startswith("The United States and its allies maintain")
        assert paragraphs[1].endswith("The race is not over.")

    def test_writes_the_layer_fields(self, stack):
        layer = Layer.objects.get(slug="critical-minerals")
        assert layer.position == 1
        assert layer.summary.startswith("China dominates global critical mineral")
        assert layer.measure == (
            "Net Refinement Capacity for Semiconductor-Critical Minerals"
        )
        assert layer.leader == "China"
        assert Layer.objects.get(slug="talent").position == 14

    def test_scores_are_dated_and_explained(self, stack):
        layer = Layer.objects.get(slug="semiconductor-equipment")
        us, china = layer.current_score(Side.US), layer.current_score(Side.CHINA)
        assert (us.value, china.value) == (Decimal("10.0"), Decimal("2.0"))
        assert us.as_of == china.as_of == STACK_AS_OF
        assert us.rationale == SCORE_RATIONALE
        assert us.source == SCORE_SOURCE
        assert layer.leader == "US & Allies"

    def test_metrics_keep_the_document_order(self, stack):
        metrics = Metric.objects.filter(layer__slug="testing-and-safety-science")
        assert [(m.position, m.name) for m in metrics] == [
            (1, "Internal safety spend ratio"),
            (2, "Pre-release testing window"),
            (3, "Inference overhead for safety"),
            (4, "External safety ecosystem scale"),
        ]
        assert metrics[0].formula.startswith("Safety Spend (%) = (Internal safety")

    def test_branch_sections_group_the_ones_below(self, stack):
        sections = Section.objects.filter(layer__slug="testing-and-safety-science")
        branches = [s.heading for s in sections if s.is_branch]
        assert branches == [
            "AI Testing and Safety Science Landscape",
            "Internal Safety Departments",
            "External Safety Teams",
            "External Safety & Testing Metrics",
        ]
        assert [s.position for s in sections] == list(range(1, 21))
        headings = [s.heading for s in sections]
        internal = headings.index("Internal Safety Departments")
        assert (
            headings[internal + 1] == "Internal safety spend as % of lab expenditures"
        )
        branch = sections.get(heading="External Safety Teams")
        assert branch.body.startswith("These exist to serve frontier AI developers")

    def test_what_matters_is_a_branch_with_its_intro(self, stack):
        sections = list(Section.objects.filter(layer__slug="critical-minerals"))
        assert [(s.heading, s.is_branch) for s in sections] == [
            ("What matters in this layer", True),
            ("Concentration risk", False),
            ("Spec and quality", False),
        ]
        assert sections[0].body.startswith("AI hardware pulls demand")

    def test_developments_are_dated_from_their_age(self, stack):
        development = Development.objects.get(
            slug="china-dominates-rare-earth-processing"
        )
        assert development.title == "China Dominates Rare Earth Processing"
        assert development.category == "Supply Chain"
        assert development.status == Development.Status.LIVE
        assert development.date_is_known
        assert local(development.published_at) == noon(2026, 12, 1)
        stockpile = Development.objects.get(
            slug="strategic-stockpile-expansion-planned"
        )
        assert local(stockpile.published_at) == noon(2026, 11, 2)

    def test_recent_developments_get_no_invented_date(self, stack):
        developments = Development.objects.filter(layer__slug="semiconductor-equipment")
        assert len(developments) == 3
        for development in developments:
            assert not development.date_is_known
            assert local(development.published_at) == noon(2026, 12, 2)
        assert Development.objects.filter(date_is_known=False).count() == 3

    def test_editorial_notes_go_to_internal_notes_only(self, db):
        text, _ = edit(
            content(),
            "AI Accelerators",
            "## Recent Developments",
            "> Check the MFU figures with the vendors.\n\n## Recent Developments",
        )
        import_document(parse_document(text), as_of=STACK_AS_OF)

        noted = {layer.slug: layer.internal_notes for layer in Layer.objects.all()}
        assert noted["ai-accelerators"] == "Check the MFU figures with the vendors."
        assert noted["critical-minerals"] == ""
        reader_facing = [
            *Layer.objects.values_list("summary", "measure"),
            *Section.objects.values_list("heading", "body"),
            *Metric.objects.values_list("name", "formula"),
            *Development.objects.values_list("title", "body", "category"),
            *Page.objects.values_list("title", "body"),
        ]
        text = "\n".join(value for row in reader_facing for value in row)
        for note in [*NOTES, "Check the MFU figures"]:
            assert note not in text
        assert not re.search(r"^>", text, re.MULTILINE)

    def test_notes_asking_for_modules_the_site_has_are_not_kept(self, stack):
        """The critical path, the fabrication podium and the Testing layer's
        planned visuals are charts now (content/charts.md), and the AI
        Accelerators layer has its effective compute module."""
        noted = {layer.slug: layer.internal_notes for layer in Layer.objects.all()}
        assert set(noted.values()) == {""}
        assert set(importer.FULFILLED_NOTES) == set(NOTES)

    def test_related_layers_are_linked_both_ways(self, stack):
        def related(slug):
            layer = Layer.objects.get(slug=slug)
            return set(layer.related.values_list("slug", flat=True))

        assert related("fabrication") == {"critical-minerals"}
        assert related("critical-minerals") == {"fabrication"}
        assert related("testing-and-safety-science") == {"frontier-model"}
        assert related("talent") == set()


@pytest.mark.django_db
class TestReimport:
    def test_a_second_run_creates_and_changes_nothing(self, stack, stack_document):
        before = snapshot()
        report = import_document(stack_document, STACK_AS_OF)
        assert report.created_total == 0
        assert report.left_alone == []
        assert snapshot() == before

    def test_admin_edits_are_kept_and_reported(self, stack, stack_document):
        score = Score.objects.get(layer__slug="critical-minerals", side=Side.US)
        score.value = Decimal("5.0")
        score.save()
        section = Section.objects.get(
            layer__slug="memory", heading="Supplier concentration"
        )
        section.body = "Rewritten by an editor."
        section.save()
        development = Development.objects.get(slug="nuclear-power-revival-for-ai")
        development.title = "Nuclear power returns for AI"
        development.save()

        report = import_document(stack_document, STACK_AS_OF)

        assert report.created_total == 0
        assert report.left_alone == [
            "Score Critical Minerals · US & Allies 5.0 (document says 4.0)",
            "Development Power Infrastructure · Nuclear Power Revival for AI "
            "(title differs from the document)",
            "Section Memory · Supplier concentration (body differs from the document)",
        ]
        score.refresh_from_db()
        section.refresh_from_db()
        development.refresh_from_db()
        assert score.value == Decimal("5.0")
        assert section.body == "Rewritten by an editor."
        assert development.title == "Nuclear power returns for AI"

    def test_a_newer_score_from_the_admin_is_kept(self, stack, stack_document):
        layer = Layer.objects.get(slug="talent")
        Score.objects.create(
            layer=layer,
            side=Side.CHINA,
            value=Decimal("6.0"),
            as_of=datetime.date(2026, 12, 3),
            rationale="New hiring data.",
        )
        report = import_document(stack_document, STACK_AS_OF)
        assert report.left_alone == [
            "Score Talent · China 6.0 (document says 5.0)",
        ]
        assert layer.scores.count() == 3

    def test_a_removed_related_link_stays_removed(self, stack, stack_document):
        fabrication = Layer.objects.get(slug="fabrication")
        fabrication.related.clear()
        report = import_document(stack_document, STACK_AS_OF)
        assert report.created_total == 0
        assert report.left_alone == [
            "Related layers of Critical Minerals: none (document says fabrication)",
            "Related layers of Fabrication: none (document says critical-minerals)",
        ]
        assert not fabrication.related.exists()

    def test_new_items_in_the_document_are_added(self, stack):
        text, _ = edit(
            content(),
            "Talent",
            "## Recent Developments\n",
            "## Recent Developments\n\n### Visa Reform Passes\n"
            "*1 day ago | Policy*\n\nA new visa category for researchers.\n",
        )
        report = import_document(parse_document(text), STACK_AS_OF)
        assert report.created == {"developments": 1}
        assert report.left_alone == []
        added = Development.objects.get(slug="visa-reform-passes")
        assert added.layer.slug == "talent"


# Each breaks the document at one line: (layer, text there, replacement,
# what the error says it expected).
MISTAKES = {
    "missing measure": (
        "Critical Minerals",
        "**Measure:** Net Refinement Capacity for Semiconductor-Critical Minerals\n",
        "",
        "expected '**Measure:** what the score measures', "
        "found '**US & Allies Score:** 4.0/10'",
    ),
    "missing China score": (
        "Critical Minerals",
        "**China Score:** 8.0/10  \n",
        "",
        "expected '**China Score:** N/10', found '**Leader:** China'",
    ),
    "leader disagrees": (
        "Critical Minerals",
        "**Leader:** China",
        "**Leader:** US & Allies",
        "expected '**Leader:** China' to agree with the scores "
        "(US & Allies 4.0, China 8.0), "
        "found '**Leader:** US & Allies'",
    ),
    "bad age": (
        "Critical Minerals",
        "*1 day ago | Supply Chain*",
        "*a day ago | Supply Chain*",
        "expected an age such as '1 day ago', '3 weeks ago' or 'Recent'",
    ),
    "score above ten": (
        "Memory",
        "**US & Allies Score:** 9.0/10",
        "**US & Allies Score:** 19.0/10",
        "with N from 0 to 10 in steps of 0.1",
    ),
    "unknown related layer": (
        "Fabrication",
        "(/layer/critical-minerals)",
        "(/layer/critical-mineral)",
        "expected a link to another layer of this document",
    ),
    "development without a dateline": (
        "Platform",
        "*3 days ago | Cloud*\n",
        "",
        "expected '*3 weeks ago | Category*' under the title",
    ),
    "source link that is not http": (
        "Critical Minerals",
        "\nChina controls approximately 70%",
        "\nSource: [Files](ftp://example.org/x)\n\nChina controls approximately 70%",
        "expected a source link starting with https:// or http://",
    ),
    "metric without a name": (
        "AI Factory",
        "- **Installed training capacity:** ",
        "- ",
        "expected '- **Metric name:** formula', found '- Capacity =",
    ),
    "missing rule before the next layer": (
        "Talent",
        "\n---\n",
        "\n# Talent Again\n",
        "expected '## Heading', '### Heading' or '---' to end 'Talent', "
        "found '# Talent Again'",
    ),
}


@pytest.mark.parametrize(
    ("layer", "old", "new", "message"), MISTAKES.values(), ids=MISTAKES.keys()
)
def test_mistakes_are_refused_with_their_line_number(layer, old, new, message):
    text, line_number = edit(content(), layer, old, new)
    with pytest.raises(ParseError) as caught:
        parse_document(text)
    assert caught.value.line_number == line_number
    assert str(caught.value).startswith(f"line {line_number}: ")
    assert message in str(caught.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("layer", "old", "new", "message"), MISTAKES.values(), ids=MISTAKES.keys()
)
def test_a_malformed_document_changes_nothing(
    stack, tmp_path, layer, old, new, message
):
    # An item added early in the document must not be written either.
    text, _ = edit(
        content(),
        "Critical Minerals",
        "## Recent Developments\n",
        "## Recent Developments\n\n### Not Written\n*1 day ago | Test*\n\nText.\n",
    )
    text, line_number = edit(text, layer, old, new)
    path = tmp_path / "stack.md"
    path.write_text(text, encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        run_command(str(path), "--as-of", "2026-12-03")
    assert f"line {line_number}: " in str(caught.value)
    assert message in str(caught.value)
    assert "Nothing was imported." in str(caught.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_mistake_in_the_last_layer_writes_nothing(tmp_path):
    text, line_number = edit(content(), "Talent", "**China Score:** 5.0/10  \n", "")
    path = tmp_path / "stack.md"
    path.write_text(text, encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError, match=f"line {line_number}: expected"):
        run_command(str(path), "--as-of", "2026-12-02")
    assert snapshot() == before


@pytest.mark.django_db
def test_a_layer_clashing_with_an_existing_one_writes_nothing(stack_document):
    Layer.objects.create(
        name="Somewhere Else", slug="somewhere-else", position=14, summary="-"
    )
    before = snapshot()
    with pytest.raises(ImportConflict, match="already has position 14"):
        import_document(stack_document, STACK_AS_OF)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_failure_late_in_the_write_rolls_everything_back(stack_document, monkeypatch):
    write = importer._bulk_create

    def fail_on_developments(model, objs):
        if model is Development:
            raise RuntimeError("the database went away")
        write(model, objs)

    monkeypatch.setattr(importer, "_bulk_create", fail_on_developments)
    before = snapshot()
    with pytest.raises(RuntimeError):
        import_document(stack_document, STACK_AS_OF)
    assert snapshot() == before


@pytest.mark.django_db
class TestCommand:
    def test_imports_and_reports_what_it_created(self):
        output = run_command(str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")
        assert output.splitlines() == [
            f"Read 14 layers from {CONTENT_DOCUMENT}; ages count back from 2026-12-02.",
            "Created 1 page, 14 layers, 28 scores, 30 metrics, 67 sections, "
            "48 developments and 2 related links.",
            f"Read 39 figures from {CONTENT_DOCUMENT.with_name('figures.md')}.",
            "Created 16 metrics and 38 metric values.",
            "Not loaded (a context figure, for neither side): Critical Minerals · "
            "Average top-3 refiner share, six key minerals (86%)",
            f"Read 10 charts from {CONTENT_DOCUMENT.with_name('charts.md')}.",
            "Created 1 chart page and 10 charts.",
        ]
        assert Layer.objects.count() == 14
        assert Score.objects.filter(as_of=STACK_AS_OF).count() == 28

    def test_a_second_run_reports_nothing_created(self, stack):
        output = run_command(str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")
        assert "Created nothing" in output
        assert "Left alone" not in output

    def test_reports_what_it_left_alone(self, stack):
        Score.objects.filter(layer__slug="critical-minerals", side=Side.US).update(
            value=Decimal("5.0")
        )
        output = run_command(str(CONTENT_DOCUMENT), "--as-of", "2026-12-02")
        assert (
            "Left alone (changed in the admin): "
            "Score Critical Minerals · US & Allies 5.0 (document says 4.0)"
        ) in output.splitlines()

    def test_as_of_defaults_to_today(self):
        before = timezone.localdate()
        run_command(str(CONTENT_DOCUMENT))
        dates = set(Score.objects.values_list("as_of", flat=True))
        assert dates <= {before, timezone.localdate()}
        assert len(dates) == 1

    @pytest.mark.parametrize("as_of", ["2026-13-01", "yesterday", "02/12/2026"])
    def test_a_malformed_as_of_is_refused(self, as_of):
        with pytest.raises(CommandError, match="--as-of must be a date written"):
            run_command(str(CONTENT_DOCUMENT), "--as-of", as_of)
        assert not Layer.objects.exists()

    def test_a_missing_file_is_refused(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot read"):
            run_command(str(tmp_path / "missing.md"), "--as-of", "2026-12-02")
