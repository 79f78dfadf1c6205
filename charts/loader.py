"""Load the charts that ship with the content (content/charts.md).

The file is Markdown: a '## Page: Title' or '## Chart: Title' heading, its
fields as '- **Name:** value' lines, then paragraphs (a page's summary or a
chart's reading note) and, for a chart, its table. The table is the same
one analysts edit in the admin, and it is checked the same way, so a mistake
is reported with its line number before anything is written.

Like the content document, the file only creates: a chart or page that
exists already is found by its slug and left as the admin has it; what
differs from the file is reported.
"""

import re
from dataclasses import dataclass, field

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from layers.importer import ImportConflict, ParseError
from layers.models import Layer

from . import tables
from .models import Chart, ChartPage
from .tables import Kind

CHANGE_REASON = "Imported from the charts file"
HEADING = re.compile(r"(#{1,3}) +(\S.*)")
ENTRY = re.compile(r"(Page|Chart): *(\S.*)")
FIELD = re.compile(r"(?:[-*] +)?\*\*([^*:]+):\*\* *(.*)")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
CHART_FIELDS = {
    "layer",
    "slug",
    "kind",
    "position",
    "branch",
    "page",
    "measure",
    "unit",
    "axis up to",
    "source",
    "shown",
}
PAGE_FIELDS = {"layer", "slug", "position"}


@dataclass
class PageEntry:
    line_number: int
    title: str
    layer: str
    slug: str
    position: int = 0
    summary: str = ""


@dataclass
class ChartEntry:
    line_number: int
    title: str
    layer: str
    slug: str
    kind: str
    position: int = 0
    branch: str = ""
    page: str = ""
    measure: str = ""
    unit: str = ""
    scale_max: float | None = None
    sources: list[str] = field(default_factory=list)
    note: str = ""
    data: str = ""
    is_shown: bool = True

    def fields(self):
        return {
            "title": self.title,
            "kind": self.kind,
            "position": self.position,
            "branch": self.branch,
            "measure": self.measure,
            "unit": self.unit,
            "scale_max": self.scale_max,
            "note": self.note,
            "data": self.data,
            "sources": "\n".join(self.sources),
            "is_shown": self.is_shown,
        }


@dataclass
class ChartsFile:
    pages: list[PageEntry]
    charts: list[ChartEntry]

    def __len__(self):
        return len(self.charts)


@dataclass
class ChartsReport:
    created_pages: int = 0
    created_charts: int = 0
    left_alone: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self):
        created = [
            f"{count} {word}{'' if count == 1 else 's'}"
            for count, word in (
                (self.created_pages, "chart page"),
                (self.created_charts, "chart"),
            )
            if count
        ]
        if created:
            lines = [f"Created {' and '.join(created)}."]
        else:
            lines = ["Created nothing: every chart in the charts file already exists."]
        lines += [
            f"Left alone (changed in the admin): {item}" for item in self.left_alone
        ]
        return lines + self.notes


# Parsing


def _kind(text, line_number, line):
    wanted = tables.normal(text)
    for kind in Kind:
        if wanted in (kind.value, tables.normal(kind.label)):
            return kind.value
    names = ", ".join(kind.value for kind in Kind)
    raise ParseError(line_number, f"a kind of chart: one of {names}", line)


def _number(text, line_number, line, what, cast=int):
    try:
        return cast(text)
    except ValueError:
        raise ParseError(line_number, what, line) from None


def parse_charts(text):
    """Read the charts file; raise ParseError at its first mistake."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    pages, charts = [], []
    entry = None
    paragraphs, table, table_start = [], [], None
    index = 0

    def finish():
        if entry is None:
            return
        body = "\n".join(paragraphs).strip()
        body = re.sub(r"\n{3,}", "\n\n", body)
        if isinstance(entry, PageEntry):
            if table:
                raise ParseError(table_start, "no table on a chart page", table[0])
            entry.summary = body
            return
        entry.note = body
        entry.data = "\n".join(table)
        try:
            data = tables.read(entry.kind, entry.data, has_sources=bool(entry.sources))
        except tables.DataError as error:
            message = error.messages[0]
            row = re.match(r"row (\d+)", message)
            number = table_start or entry.line_number
            if row:
                # The header, then its rule line, then the rows.
                rule = 1 if len(table) > 1 and tables.RULE.fullmatch(table[1]) else 0
                number = table_start + rule + int(row[1])
            found = lines[number - 1] if number - 1 < len(lines) else None
            raise ParseError(
                number,
                f"a table the chart '{entry.slug}' can draw ({message})",
                found,
            ) from None
        if entry.is_shown and data.is_empty:
            raise ParseError(
                table_start or entry.line_number,
                f"a table with at least one row for the chart '{entry.slug}', or "
                "'- **Shown:** no' to keep it hidden",
                "" if table_start is None else table[0],
            )

    while index < len(lines):
        line = lines[index].rstrip()
        number = index + 1
        index += 1
        heading = HEADING.fullmatch(line)
        if heading:
            finish()
            entry, paragraphs, table, table_start = None, [], [], None
            match = ENTRY.fullmatch(heading[2].strip())
            if len(heading[1]) != 2 or not match:
                continue  # The title and prose headings are for people.
            fields, field_lines = {}, {}
            while index < len(lines) and (
                not lines[index].strip() or FIELD.fullmatch(lines[index].strip())
            ):
                text = lines[index].strip()
                index += 1
                if not text:
                    if fields:
                        break
                    continue
                found = FIELD.fullmatch(text)
                name = tables.normal(found[1])
                allowed = PAGE_FIELDS if match[1] == "Page" else CHART_FIELDS
                if name not in allowed:
                    listed = ", ".join(sorted(allowed))
                    raise ParseError(index, f"one of the fields {listed}", text)
                if name == "source":
                    fields.setdefault("source", []).append(found[2].strip())
                else:
                    fields[name] = found[2].strip()
                field_lines[name] = (index, text)
            entry = _entry(match[1], match[2].strip(), number, fields, field_lines)
            (pages if isinstance(entry, PageEntry) else charts).append(entry)
            continue
        if entry is None:
            continue
        if line.startswith("|"):
            if table_start is None:
                table_start = number
            elif table and not lines[index - 2].startswith("|"):
                raise ParseError(number, "one table per chart", line)
            table.append(line)
        elif table:
            if line.strip():
                raise ParseError(number, "the chart's table to end its entry", line)
        else:
            paragraphs.append(line)
    finish()
    _check_unique(pages, charts)
    return ChartsFile(pages, charts)


def _entry(kind, title, number, fields, field_lines):
    def need(name):
        if not fields.get(name):
            raise ParseError(number + 1, f"a '- **{name.capitalize()}:**' line", "")
        return fields[name]

    def at(name):
        return field_lines.get(name, (number, ""))

    layer = need("layer")
    slug = need("slug")
    if not SLUG.fullmatch(slug):
        raise ParseError(at("slug")[0], "a slug of letters, digits and '-'", slug)
    position = 0
    if fields.get("position"):
        position = _number(fields["position"], *at("position"), "a whole number")
    if kind == "Page":
        return PageEntry(number, title, layer, slug, position)
    chart_kind = _kind(need("kind"), *at("kind"))
    scale = None
    if fields.get("axis up to"):
        scale = _number(fields["axis up to"], *at("axis up to"), "a number", float)
    shown = tables.normal(fields.get("shown", "yes"))
    if shown not in {"yes", "no"}:
        raise ParseError(at("shown")[0], "'yes' or 'no'", fields["shown"])
    return ChartEntry(
        line_number=number,
        title=title,
        layer=layer,
        slug=slug,
        kind=chart_kind,
        position=position,
        branch=fields.get("branch", ""),
        page=fields.get("page", ""),
        measure=fields.get("measure", ""),
        unit=fields.get("unit", ""),
        scale_max=scale,
        sources=fields.get("source", []),
        is_shown=shown == "yes",
    )


def _check_unique(pages, charts):
    seen = {}
    for chart in charts:
        if chart.slug in seen:
            raise ParseError(
                chart.line_number,
                f"a chart slug not used before (line {seen[chart.slug]})",
                chart.slug,
            )
        seen[chart.slug] = chart.line_number
    seen = {}
    for page in pages:
        key = (tables.normal(page.layer), page.slug)
        if key in seen:
            raise ParseError(
                page.line_number,
                f"a page slug not used before on its layer (line {seen[key]})",
                page.slug,
            )
        seen[key] = page.line_number


# Writing


def _differences(obj, wanted):
    return [name for name, value in wanted.items() if getattr(obj, name) != value]


def _bulk_create(model, objs):
    if objs:
        bulk_create_with_history(objs, model, default_change_reason=CHANGE_REASON)


class _Loader:
    def __init__(self, charts_file):
        self.file = charts_file
        self.report = ChartsReport()

    def layer(self, name, line_number):
        wanted = tables.normal(name)
        for layer in self.layers:
            if wanted in (tables.normal(layer.name), layer.slug):
                return layer
        raise ImportConflict(
            f"The charts file names the layer '{name}' (line {line_number}), "
            "which is not in the database."
        )

    def run(self):
        self.layers = list(Layer.objects.prefetch_related("sections"))
        pages = self.write_pages()
        self.write_charts(pages)

    def write_pages(self):
        pages = {
            (page.layer_id, page.slug): page
            for page in ChartPage.objects.all().order_by("pk")
        }
        new = []
        for entry in self.file.pages:
            layer = self.layer(entry.layer, entry.line_number)
            wanted = {
                "title": entry.title,
                "summary": entry.summary,
                "position": entry.position,
            }
            page = pages.get((layer.pk, entry.slug))
            if page is None:
                page = ChartPage(layer=layer, slug=entry.slug, **wanted)
                new.append(page)
                pages[(layer.pk, entry.slug)] = page
            elif differences := _differences(page, wanted):
                self.leave(f"Chart page {entry.title}", differences)
        _bulk_create(ChartPage, new)
        self.report.created_pages = len(new)
        return pages

    def write_charts(self, pages):
        existing = Chart.objects.in_bulk(
            [entry.slug for entry in self.file.charts], field_name="slug"
        )
        new = []
        for entry in self.file.charts:
            layer = self.layer(entry.layer, entry.line_number)
            page = None
            if entry.page:
                page = pages.get((layer.pk, entry.page))
                if page is None:
                    raise ImportConflict(
                        f"The chart '{entry.slug}' (line {entry.line_number} of "
                        f"the charts file) goes on the page '{entry.page}', which "
                        f"{layer.name} does not have."
                    )
            wanted = entry.fields()
            chart = existing.get(entry.slug)
            if chart is not None:
                if chart.layer_id != layer.pk:
                    raise ImportConflict(
                        f"The chart '{entry.slug}' belongs to {chart.layer} in "
                        f"the database but to {layer.name} in the charts file."
                    )
                if differences := _differences(chart, wanted):
                    self.leave(f"Chart {entry.title}", differences)
                continue
            branches = {s.heading for s in layer.sections.all() if s.is_branch}
            if entry.branch and entry.branch not in branches:
                self.report.notes.append(
                    f"Chart {entry.title}: {layer.name} has no branch heading "
                    f"'{entry.branch}', so the chart shows after its "
                    "explanations."
                )
            new.append(Chart(layer=layer, page=page, slug=entry.slug, **wanted))
        _bulk_create(Chart, new)
        self.report.created_charts = len(new)

    def leave(self, label, differences):
        names = {"data": "table", "scale_max": "axis up to", "is_shown": "shown"}
        fields = [names.get(name, name.replace("_", " ")) for name in differences]
        verb = "differs" if len(fields) == 1 else "differ"
        listed = fields[0] if len(fields) == 1 else ", ".join(fields)
        self.report.left_alone.append(f"{label} ({listed} {verb} from the charts file)")


def import_charts(charts_file):
    """Write the parsed charts file in one transaction; return a report.

    Run it after the content document, whose layers the charts belong to.
    Raise ImportConflict, writing nothing, if a layer or page is unknown.
    """
    loader = _Loader(charts_file)
    with transaction.atomic():
        loader.run()
    return loader.report
