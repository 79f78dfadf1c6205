"""Read the tracker's content document and load it into the database.

The whole document is parsed into plain dataclasses first, so a mistake
anywhere in it is reported, with its line number, before anything is
written. The write then runs in one transaction. Rows that already exist are
found by their natural keys and never changed: the admin is where content
lives once it has been imported, and a re-import must not undo an editor's
work. What differs from the document is reported instead.

The sourced figures (content/figures.md) load the same way, after the
document: each table row becomes one side's MetricValue, on the document's
metric of that name when there is one and on a new metric otherwise.
"""

import calendar
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from news.models import Development

from .compute import FACTORS, RESULT_KEY, RESULT_NAME
from .models import (
    SCORE_MAX,
    Confidence,
    Layer,
    Metric,
    MetricValue,
    Page,
    Score,
    Section,
    Side,
    leader_of,
)

SCORE_RATIONALE = "Initial score from the tracker's launch assessment."
SCORE_SOURCE = "The AI Stack Tracker content document"
# Shown in each imported row's history in the admin.
CHANGE_REASON = "Imported from the content document"
STATE_OF_THE_STACK_TITLE = "State of the Stack"
KEY_METRICS = "Key Metrics"
RECENT_DEVELOPMENTS = "Recent Developments"

HEADING = re.compile(r"(#{1,3}) +(\S.*)")
MEASURE = re.compile(r"\*\*Measure:\*\* *(\S.*)")
US_SCORE = re.compile(r"\*\*US & Allies Score:\*\* *(\d+(?:\.\d+)?) */ *10")
CHINA_SCORE = re.compile(r"\*\*China Score:\*\* *(\d+(?:\.\d+)?) */ *10")
LEADER = re.compile(r"\*\*Leader:\*\* *(\S.*)")
METRIC = re.compile(r"[-*] +\*\*(.+?):\*\* *(\S.*)")
RELATED = re.compile(r"\*\*Related:\*\*(.*)")
HEADER_FIELD = re.compile(r"\*\*(Measure|US & Allies Score|China Score|Leader):\*\*")
LAYER_LINK = re.compile(r"\[[^\]]*\]\(/layer/([-\w]+)/?\)")
DATELINE = re.compile(r"\*([^*|]+)\|([^*|]+)\*")
# A development's "Source: Reuters", "**Source:** [Reuters](https://…)" or
# "Source: https://…" line, which becomes its source rather than its text.
SOURCE_LINE = re.compile(r"\*{0,2}Source:\*{0,2} *(\S.*)")
SOURCE_LINK = re.compile(r"\[([^\]]*)\]\(\s*(\S+?)\s*\)")
AGE = re.compile(r"(\d{1,3}) +(day|week|month|year)s? +ago", re.IGNORECASE)
RECENT = "recent"
# Editorial notes that asked for a module the site now has: the charts
# (the charts app and content/charts.md) and the effective compute widget
# (layers/widgets.py). They are done, so they are not kept.
FULFILLED_NOTES = (
    "Next: we can add a “critical path” diagram",
    "Next: we can attach the fabrication podium",
    "This layer is designed for maximum interactivity",
    "Below is a first‑principles embedded module",
)


class ParseError(ValueError):
    """The document does not have the expected shape at one line."""

    def __init__(self, line_number, expected, found):
        self.line_number = line_number
        self.expected = expected
        self.found = found
        if found is None:
            found_text = "the end of the document"
        else:
            found_text = f"'{_shorten(found)}'" if found else "an empty line"
        super().__init__(f"line {line_number}: expected {expected}, found {found_text}")


class ImportConflict(Exception):
    """A new row would clash with one that exists under another key."""


@dataclass(frozen=True)
class Age:
    """How long ago something happened, as the document words it."""

    count: int
    unit: str  # "day", "week", "month" or "year"

    def before(self, as_of):
        """Return the date this age counts back to from ``as_of``.

        Days and weeks are exact; months and years are calendar ones, so
        "1 month ago" on 31 March is the last day of February.
        """
        if self.unit == "day":
            return date.fromordinal(as_of.toordinal() - self.count)
        if self.unit == "week":
            return date.fromordinal(as_of.toordinal() - 7 * self.count)
        months = self.count * (12 if self.unit == "year" else 1)
        month_index = as_of.year * 12 + as_of.month - 1 - months
        year, month = divmod(month_index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(as_of.day, last_day))


def parse_age(text):
    """Return the Age in "3 weeks ago", or None for "Recent" (no known date)."""
    text = " ".join(text.split())
    if text.lower() == RECENT:
        return None
    match = AGE.fullmatch(text)
    if not match:
        raise ValueError(f"not an age: {text!r}")
    return Age(int(match[1]), match[2].lower())


def publish_time(day):
    """Noon of ``day`` in the newsroom's time zone, as an aware datetime."""
    return timezone.make_aware(
        datetime.combine(day, time(12)), timezone.get_default_timezone()
    )


@dataclass
class PageEntry:
    slug: str
    title: str
    body: str


@dataclass
class MetricEntry:
    position: int
    name: str
    formula: str


@dataclass
class SectionEntry:
    position: int
    heading: str
    body: str
    is_branch: bool


@dataclass
class DevelopmentEntry:
    title: str
    slug: str
    category: str
    body: str
    age: Age | None  # None: the document says "Recent"
    source: str = ""
    source_url: str = ""

    @property
    def date_is_known(self):
        return self.age is not None

    def published_at(self, as_of):
        return publish_time(self.age.before(as_of) if self.age else as_of)

    @property
    def named_source(self):
        """The source fields, if the document names a source at all.

        Without one, a source an editor added in the admin is not reported
        as differing from the document.
        """
        if not (self.source or self.source_url):
            return {}
        return {"source": self.source, "source_url": self.source_url}


@dataclass
class RelatedLink:
    slug: str
    line_number: int
    line: str


@dataclass
class LayerEntry:
    position: int
    name: str
    slug: str
    summary: str
    measure: str
    us_score: Decimal
    china_score: Decimal
    leader: str
    metrics: list[MetricEntry] = field(default_factory=list)
    sections: list[SectionEntry] = field(default_factory=list)
    developments: list[DevelopmentEntry] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def internal_notes(self):
        kept = [note for note in self.notes if not note.startswith(FULFILLED_NOTES)]
        return "\n\n".join(kept)

    def score(self, side):
        return self.us_score if side == Side.US else self.china_score


@dataclass
class StackDocument:
    title: str
    tagline: str
    state_of_the_stack: PageEntry
    layers: list[LayerEntry]


@dataclass
class ImportReport:
    as_of: date | None
    source: str = "the document"
    created: Counter = field(default_factory=Counter)
    left_alone: list[str] = field(default_factory=list)
    not_loaded: list[str] = field(default_factory=list)

    def count_created(self, kind, number=1):
        if number:
            self.created[kind] += number

    @property
    def created_total(self):
        return sum(self.created.values())

    def lines(self):
        """Describe the import for a person, one line each."""
        if self.created_total:
            counts = [
                _count(self.created[kind], kind)
                for kind in _KINDS
                if self.created[kind]
            ]
            lines = [f"Created {_join(counts)}."]
        else:
            lines = [f"Created nothing: everything in {self.source} already exists."]
        lines.extend(
            f"Left alone (changed in the admin): {item}" for item in self.left_alone
        )
        lines.extend(
            f"Not loaded (a context figure, for neither side): {item}"
            for item in self.not_loaded
        )
        return lines


# Singular and plural, in the order the report lists them.
_KINDS = {
    "pages": ("page", "pages"),
    "layers": ("layer", "layers"),
    "scores": ("score", "scores"),
    "metrics": ("metric", "metrics"),
    "metric values": ("metric value", "metric values"),
    "sections": ("section", "sections"),
    "developments": ("development", "developments"),
    "related links": ("related link", "related links"),
}


def _count(number, kind):
    singular, plural = _KINDS[kind]
    return f"{number} {singular if number == 1 else plural}"


def _join(words):
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _shorten(text, limit=80):
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Parsing


class _Lines:
    """A cursor over the document's lines, numbered from 1."""

    def __init__(self, text):
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        # Trailing spaces only make Markdown line breaks, which the document
        # uses on its score lines and nowhere in its prose.
        self._lines = [line.rstrip() for line in text.split("\n")]
        self._index = 0

    @property
    def number(self):
        """The number of the line under the cursor."""
        return self._index + 1

    def peek(self):
        """The line under the cursor, or None at the end."""
        if self._index < len(self._lines):
            return self._lines[self._index]
        return None

    def advance(self):
        line = self.peek()
        self._index += 1
        return line

    def skip_blank(self):
        while self.peek() == "":
            self._index += 1

    def expect(self, pattern, expected):
        """Consume the next non-blank line if it matches; return the match."""
        self.skip_blank()
        line = self.peek()
        match = pattern.fullmatch(line) if line is not None else None
        if match is None:
            raise ParseError(self.number, expected, line)
        self._index += 1
        return match


def _is_structural(line):
    """Whether ``line`` ends a run of paragraphs."""
    return (
        line == "---"
        or HEADING.fullmatch(line) is not None
        or RELATED.fullmatch(line) is not None
    )


def _read_note(lines):
    """Read a run of '>' lines; return its paragraphs without the '>'."""
    paragraphs, current = [], []
    while (line := lines.peek()) is not None and line.startswith(">"):
        lines.advance()
        text = line[1:].removeprefix(" ").strip()
        if text:
            current.append(text)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _read_paragraphs(lines, notes, stop=_is_structural):
    """Read paragraphs up to the next structural line.

    Editorial notes ('>' lines) met on the way go to ``notes``, never into
    the text that readers see; with ``notes`` None they are refused.
    """
    paragraphs, current = [], []
    while True:
        line = lines.peek()
        if line is None or (line and stop(line)):
            break
        if line.startswith(">") and notes is None:
            # Only a layer has internal notes to keep them in.
            raise ParseError(
                lines.number, "text (editorial notes belong in a layer)", line
            )
        if line.startswith(">"):
            if current:
                paragraphs.append("\n".join(current))
                current = []
            notes.extend(_read_note(lines))
            continue
        lines.advance()
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def _check_length(text, limit, what, line_number, line):
    if len(text) > limit:
        raise ParseError(line_number, f"{what} of at most {limit} characters", line)


def _read_score(lines, pattern, label):
    expected = f"'**{label} Score:** N/10'"
    match = lines.expect(pattern, expected)
    value = Decimal(match[1])
    if value > SCORE_MAX or value != value.quantize(Decimal("0.1")):
        raise ParseError(
            lines.number - 1,
            f"{expected} with N from 0 to 10 in steps of 0.1",
            match[0],
        )
    return value


def _parse_summary(lines):
    title = lines.expect(HEADING, "'# The AI Stack Tracker'")
    if len(title[1]) != 1:
        raise ParseError(lines.number - 1, "'# The AI Stack Tracker'", title[0])
    lines.skip_blank()
    tagline = _read_paragraphs(lines, notes=None)
    if not tagline:
        raise ParseError(lines.number, "a tagline under the title", lines.peek())
    lines.expect(re.compile(r"## +Summary"), "'## Summary'")
    lines.expect(
        re.compile(rf"### +{STATE_OF_THE_STACK_TITLE}"),
        f"'### {STATE_OF_THE_STACK_TITLE}'",
    )
    body = _read_paragraphs(lines, notes=None)
    if not body:
        raise ParseError(
            lines.number, f"the {STATE_OF_THE_STACK_TITLE} paragraphs", lines.peek()
        )
    lines.expect(re.compile("---"), "'---' after the State of the Stack")
    page = PageEntry(Page.STATE_OF_THE_STACK, STATE_OF_THE_STACK_TITLE, body)
    return title[2].strip(), tagline, page


def _parse_layer_header(lines, position):
    match = lines.expect(HEADING, "'# Layer name'")
    if len(match[1]) != 1:
        raise ParseError(lines.number - 1, "'# Layer name'", match[0])
    name = match[2].strip()
    _check_length(name, 120, "a layer name", lines.number - 1, match[0])
    slug = slugify(name)
    if not slug:
        raise ParseError(lines.number - 1, "a layer name with letters", match[0])
    notes = []
    summary = _read_paragraphs(
        lines,
        notes,
        stop=lambda line: _is_structural(line) or HEADER_FIELD.match(line),
    )
    if not summary:
        lines.skip_blank()
        raise ParseError(lines.number, f"the summary of '{name}'", lines.peek())
    measure = lines.expect(MEASURE, "'**Measure:** what the score measures'")[1]
    _check_length(measure, 255, "a measure", lines.number - 1, measure)
    us_score = _read_score(lines, US_SCORE, Side.US.label)
    china_score = _read_score(lines, CHINA_SCORE, Side.CHINA.label)
    leader = lines.expect(LEADER, "'**Leader:** US & Allies', 'China' or 'Even'")
    expected_leader = leader_of(us_score, china_score)
    if leader[1].strip() != expected_leader:
        raise ParseError(
            lines.number - 1,
            f"'**Leader:** {expected_leader}' to agree with the scores "
            f"({Side.US.label} {us_score}, {Side.CHINA.label} {china_score})",
            leader[0],
        )
    return LayerEntry(
        position=position,
        name=name,
        slug=slug,
        summary=summary,
        measure=measure,
        us_score=us_score,
        china_score=china_score,
        leader=expected_leader,
        notes=notes,
    )


def _parse_metrics(lines, layer):
    while True:
        lines.skip_blank()
        line = lines.peek()
        if line is None or _is_structural(line):
            return
        if line.startswith(">"):
            layer.notes.extend(_read_note(lines))
            continue
        match = lines.expect(METRIC, "'- **Metric name:** formula'")
        name, formula = match[1].strip(), match[2].strip()
        _check_length(name, 200, "a metric name", lines.number - 1, line)
        if any(metric.name == name for metric in layer.metrics):
            raise ParseError(
                lines.number - 1,
                f"a metric name not used twice in '{layer.name}'",
                line,
            )
        layer.metrics.append(MetricEntry(len(layer.metrics) + 1, name, formula))


def _add_section(lines, layer, heading, is_branch):
    line_number = lines.number - 1
    _check_length(heading, 200, "a heading", line_number, heading)
    if any(section.heading == heading for section in layer.sections):
        raise ParseError(
            line_number, f"a heading not used twice in '{layer.name}'", heading
        )
    body = _read_paragraphs(lines, layer.notes)
    position = len(layer.sections) + 1
    layer.sections.append(SectionEntry(position, heading, body, is_branch))


def _add_development(lines, layer, title):
    line_number = lines.number - 1
    _check_length(title, 200, "a title", line_number, title)
    slug = slugify(title, allow_unicode=True)[:200] or "item"
    if any(development.slug == slug for development in layer.developments):
        raise ParseError(
            line_number, f"a development title not used twice in '{layer.name}'", title
        )
    dateline = lines.expect(DATELINE, "'*3 weeks ago | Category*' under the title")
    try:
        age = parse_age(dateline[1])
    except ValueError:
        raise ParseError(
            lines.number - 1,
            "an age such as '1 day ago', '3 weeks ago' or 'Recent'",
            dateline[0],
        ) from None
    category = dateline[2].strip()
    if not category:
        raise ParseError(lines.number - 1, "a category after '|'", dateline[0])
    _check_length(category, 60, "a category", lines.number - 1, dateline[0])
    body, source, source_url = _read_development_text(lines, layer)
    if not body:
        lines.skip_blank()
        raise ParseError(lines.number, f"the text of '{title}'", lines.peek())
    layer.developments.append(
        DevelopmentEntry(title, slug, category, body, age, source, source_url)
    )


def _ends_development_text(line):
    return _is_structural(line) or SOURCE_LINE.fullmatch(line) is not None


def _read_development_text(lines, layer):
    """The text of a development, and the source its 'Source:' line names."""
    parts = [_read_paragraphs(lines, layer.notes, stop=_ends_development_text)]
    source = source_url = ""
    line = lines.peek()
    if line is not None and (match := SOURCE_LINE.fullmatch(line)):
        source, source_url = _parse_source(match[1], lines.number, line)
        lines.advance()
        parts.append(_read_paragraphs(lines, layer.notes, stop=_ends_development_text))
        line = lines.peek()
        if line is not None and SOURCE_LINE.fullmatch(line):
            raise ParseError(
                lines.number, "one 'Source:' line for each development", line
            )
    return "\n\n".join(part for part in parts if part), source, source_url


def _parse_source(text, line_number, line):
    """Split a 'Source:' line's text into a name and an http(s) link."""
    if link := SOURCE_LINK.fullmatch(text):
        name, url = link[1].strip(), link[2]
    elif text.startswith(("http://", "https://")) and " " not in text:
        name, url = "", text
    else:
        name, url = text.strip(), ""
    _check_length(name, 200, "a source name", line_number, line)
    _check_length(url, 500, "a source link", line_number, line)
    if url:
        try:
            # The same check as the admin's.
            Development._meta.get_field("source_url").run_validators(url)
        except ValidationError:
            raise ParseError(
                line_number, "a source link starting with https:// or http://", line
            ) from None
    return name, url


def _parse_layer(lines, position):
    layer = _parse_layer_header(lines, position)
    part = None  # which '## ' part of the layer the cursor is in
    while True:
        lines.skip_blank()
        line = lines.peek()
        if line == "---":
            lines.advance()
            return layer
        if line is not None and line.startswith(">"):
            layer.notes.extend(_read_note(lines))
            continue
        if line is not None and (related := RELATED.fullmatch(line)):
            slugs = LAYER_LINK.findall(related[1])
            if not slugs:
                raise ParseError(
                    lines.number, "'**Related:** [Name](/layer/slug)'", line
                )
            layer.related.extend(RelatedLink(s, lines.number, line) for s in slugs)
            lines.advance()
            continue
        heading = HEADING.fullmatch(line) if line is not None else None
        if heading is None or len(heading[1]) == 1:
            raise ParseError(
                lines.number,
                f"'## Heading', '### Heading' or '---' to end '{layer.name}'",
                line,
            )
        lines.advance()
        text = heading[2].strip()
        if len(heading[1]) == 2:
            part = text
            if text == KEY_METRICS:
                _parse_metrics(lines, layer)
            elif text != RECENT_DEVELOPMENTS:
                _add_section(lines, layer, text, is_branch=True)
        elif part == RECENT_DEVELOPMENTS:
            _add_development(lines, layer, text)
        elif part is not None and part != KEY_METRICS:
            _add_section(lines, layer, text, is_branch=False)
        else:
            raise ParseError(
                lines.number - 1, "a '## Heading' before this '###' heading", line
            )


def _resolve_related(layers):
    by_slug = {layer.slug: layer for layer in layers}
    for layer in layers:
        for link in layer.related:
            if link.slug not in by_slug or link.slug == layer.slug:
                raise ParseError(
                    link.line_number,
                    "a link to another layer of this document, "
                    "such as '/layer/critical-minerals'",
                    link.line,
                )


def parse_document(text):
    """Parse the content document; raise ParseError at its first mistake."""
    lines = _Lines(text)
    title, tagline, page = _parse_summary(lines)
    layers, seen = [], {}
    while True:
        lines.skip_blank()
        if lines.peek() is None and layers:
            break
        line_number = lines.number
        layer = _parse_layer(lines, position=len(layers) + 1)
        if layer.slug in seen:
            raise ParseError(
                line_number,
                f"a layer not already in the document (line {seen[layer.slug]})",
                f"# {layer.name}",
            )
        seen[layer.slug] = line_number
        layers.append(layer)
    _resolve_related(layers)
    return StackDocument(title, tagline, page, layers)


# Writing


def _bulk_create(model, objs):
    """Insert ``objs`` with their history rows, in a few queries."""
    if objs:
        bulk_create_with_history(objs, model, default_change_reason=CHANGE_REASON)


def _differences(obj, wanted):
    return [name for name, value in wanted.items() if getattr(obj, name) != value]


class _Importer:
    def __init__(self, document, as_of):
        self.document = document
        self.as_of = as_of
        self.report = ImportReport(as_of=as_of)
        self.layers = {}  # slug -> Layer
        self.new_layers = set()  # slugs of the layers this import creates

    def run(self):
        self.write_page()
        self.write_layers()
        self.write_children()
        self.write_related()

    def leave(self, label, differences):
        if differences:
            fields = _join([name.replace("_", " ") for name in differences])
            verb = "differs" if len(differences) == 1 else "differ"
            self.report.left_alone.append(
                f"{label} ({fields} {verb} from the document)"
            )

    def write_page(self):
        entry = self.document.state_of_the_stack
        wanted = {"title": entry.title, "body": entry.body}
        page = Page.objects.filter(slug=entry.slug).first()
        if page is None:
            _bulk_create(Page, [Page(slug=entry.slug, **wanted)])
            self.report.count_created("pages")
        else:
            self.leave(f"Page {entry.title}", _differences(page, wanted))

    def write_layers(self):
        entries = self.document.layers
        existing = Layer.objects.in_bulk([e.slug for e in entries], field_name="slug")
        new = []
        for entry in entries:
            wanted = {
                "name": entry.name,
                "position": entry.position,
                "summary": entry.summary,
                "measure": entry.measure,
                "internal_notes": entry.internal_notes,
            }
            if entry.slug in existing:
                layer = existing[entry.slug]
                self.leave(f"Layer {entry.name}", _differences(layer, wanted))
            else:
                layer = Layer(slug=entry.slug, **wanted)
                new.append(layer)
            self.layers[entry.slug] = layer
        self.check_free(new)
        _bulk_create(Layer, new)
        self.new_layers = {layer.slug for layer in new}
        self.report.count_created("layers", len(new))

    def check_free(self, new):
        """Refuse to create a layer whose name or place another layer holds."""
        taken = Layer.objects.filter(
            Q(name__in=[layer.name for layer in new])
            | Q(position__in=[layer.position for layer in new])
        )
        for other in taken:
            layer = next(
                layer
                for layer in new
                if other.name == layer.name or other.position == layer.position
            )
            field_name = "name" if other.name == layer.name else "position"
            raise ImportConflict(
                f"Cannot create the layer '{layer.name}' (slug '{layer.slug}'): "
                f"the layer '{other.name}' (slug '{other.slug}') already has "
                f"{field_name} {getattr(layer, field_name)}. Make them agree in "
                "the admin or in the document, then import again."
            )

    def write_children(self):
        """Write scores, metrics, sections and developments of every layer."""
        layer_ids = [layer.pk for layer in self.layers.values()]
        scores = {}
        for score in Score.objects.filter(layer__in=layer_ids).order_by(
            "-as_of", "-pk"
        ):
            scores.setdefault((score.layer_id, score.side), score)
        metrics = _by_key(Metric, layer_ids, "name")
        sections = _by_key(Section, layer_ids, "heading")
        developments = _by_key(Development, layer_ids, "slug")
        new = {Score: [], Metric: [], Section: [], Development: []}
        for entry in self.document.layers:
            layer = self.layers[entry.slug]
            for side in Side:
                self.score(layer, entry, side, scores.get((layer.pk, side)), new)
            for metric in entry.metrics:
                self.item(
                    Metric(
                        layer=layer,
                        name=metric.name,
                        key=DOCUMENT_KEYS.get(metric.name, ""),
                    ),
                    metrics.get((layer.pk, metric.name)),
                    {"position": metric.position, "formula": metric.formula},
                    f"Metric {entry.name} · {metric.name}",
                    new,
                )
            for section in entry.sections:
                self.item(
                    Section(layer=layer, heading=section.heading),
                    sections.get((layer.pk, section.heading)),
                    {
                        "position": section.position,
                        "body": section.body,
                        "is_branch": section.is_branch,
                    },
                    f"Section {entry.name} · {section.heading}",
                    new,
                )
            for development in entry.developments:
                self.item(
                    Development(layer=layer, slug=development.slug),
                    developments.get((layer.pk, development.slug)),
                    {
                        "title": development.title,
                        "category": development.category,
                        "body": development.body,
                        "status": Development.Status.LIVE,
                        "published_at": development.published_at(self.as_of),
                        "date_is_known": development.date_is_known,
                        **development.named_source,
                    },
                    f"Development {entry.name} · {development.title}",
                    new,
                )
        # Readers see developments newest first, ties broken by the higher
        # pk; inserting them last to first keeps items that share a publish
        # time ("Recent" ones) in the document's order.
        new[Development].reverse()
        kinds = {
            Score: "scores",
            Metric: "metrics",
            Section: "sections",
            Development: "developments",
        }
        for model, objs in new.items():
            _bulk_create(model, objs)
            self.report.count_created(kinds[model], len(objs))

    def score(self, layer, entry, side, current, new):
        """Give the side its document score unless it has any score at all."""
        value = entry.score(side)
        if current is None:
            new[Score].append(
                Score(
                    layer=layer,
                    side=side,
                    value=value,
                    as_of=self.as_of,
                    rationale=SCORE_RATIONALE,
                    source=SCORE_SOURCE,
                )
            )
        elif current.value != value:
            self.report.left_alone.append(
                f"Score {entry.name} · {side.label} {current.value:.1f} "
                f"(document says {value:.1f})"
            )

    def item(self, obj, existing, wanted, label, new):
        if existing is None:
            for name, value in wanted.items():
                setattr(obj, name, value)
            new[type(obj)].append(obj)
        else:
            self.leave(label, _differences(existing, wanted))

    def write_related(self):
        """Link related layers; leave existing layers' links as they are.

        The relation is symmetrical, so a link is wanted on both layers
        whichever of the two names it.
        """
        entries = self.document.layers
        wanted = {entry.slug: set() for entry in entries}
        for entry in entries:
            for link in entry.related:
                wanted[entry.slug].add(link.slug)
                wanted[link.slug].add(entry.slug)
        added = set()
        for slug, others in wanted.items():
            for other in others:
                pair = frozenset((slug, other))
                if pair not in added and self.new_layers & pair:
                    self.layers[slug].related.add(self.layers[other])
                    added.add(pair)
        self.report.count_created("related links", len(added))
        for entry in entries:
            if entry.slug in self.new_layers:
                continue
            actual = set(self.layers[entry.slug].related.values_list("slug", flat=True))
            if actual != wanted[entry.slug]:
                self.report.left_alone.append(
                    f"Related layers of {entry.name}: {_slugs(actual)} "
                    f"(document says {_slugs(wanted[entry.slug])})"
                )


def _by_key(model, layer_ids, key):
    """Map (layer id, natural key) to the oldest row with that key."""
    rows = {}
    for obj in model.objects.filter(layer__in=layer_ids).order_by("-pk"):
        rows[(obj.layer_id, getattr(obj, key))] = obj
    return rows


def _slugs(slugs):
    return ", ".join(sorted(slugs)) or "none"


def import_document(document, as_of):
    """Write ``document`` to the database in one transaction.

    Ages in the document count back from ``as_of``, which is also the date
    of the scores. Existing rows are left as they are; the report lists the
    ones that differ from the document. Raise ImportConflict, writing
    nothing, if a new layer would clash with an existing one.
    """
    importer = _Importer(document, as_of)
    with transaction.atomic():
        importer.run()
    return importer.report


# Sourced figures

FIGURE_COLUMNS = (
    "metric",
    "side",
    "value",
    "unit",
    "year",
    "source",
    "confidence",
    "note",
)
NO_ENTRY = {"", "—", "–", "-"}
FIGURE_SIDES = {"us & allies": Side.US, "china": Side.CHINA}
NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?"
FIGURE_VALUE = re.compile(rf"({NUMBER})(?:\s*[–—]\s*({NUMBER}))?")
QUALIFIED = re.compile(r"(.*?\S)\s*\(([^()]*)\)")
YEAR = re.compile(r"\d{4}")
TABLE_RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?")
# Some notes tell the site what to do ("show the range") rather than tell the
# reader something; the site does it, so the instruction is dropped.
DIRECTIVE = re.compile(r"(?:^|:\s*)(?:show|label as)\b.*$", re.IGNORECASE)
# Metrics the figures name in two ways, by their normalised base names.
SAME_METRIC = {"cowos-class capacity": "cowos capacity"}
# Figures that feed a module of the site get the key the module looks for.
FIGURE_KEYS = {factor.name: factor.key for factor in FACTORS}
# The document's metric that states what the effective-compute module works out.
DOCUMENT_KEYS = {RESULT_NAME: RESULT_KEY}


def _normal(name):
    """Compare names regardless of case, spacing and the kind of hyphen."""
    name = re.sub(r"[\u2010\u2011\u2012\u2013]", "-", name)
    return " ".join(name.casefold().split())


def _split_qualifier(name):
    """Split "Mining share (rare earths)" into its name and qualifier."""
    match = QUALIFIED.fullmatch(name)
    return (match[1], match[2].strip()) if match else (name, "")


def _metric_key(name):
    """The key rows and metrics are grouped by: the normalised base name."""
    base = _normal(_split_qualifier(name)[0])
    return SAME_METRIC.get(base, base)


@dataclass
class FigureEntry:
    line_number: int
    layer: str
    metric: str
    side: Side | None  # None: a context figure, for neither side
    low: float | None
    high: float | None
    text: str
    unit: str
    year: int | None
    source: str
    confidence: str
    note: str

    @property
    def base_name(self):
        return _split_qualifier(self.metric)[0]

    @property
    def qualifier(self):
        return _split_qualifier(self.metric)[1]

    @property
    def label(self):
        return f"{self.layer} · {self.metric}"

    @property
    def shown(self):
        """The figure as the file writes it, e.g. "61–69%"."""
        if self.low is None:
            return self.text or "no figure"
        value = (
            f"{self.low:g}" if self.low == self.high else f"{self.low:g}–{self.high:g}"
        )
        if not self.unit:
            return value
        return f"{value}{self.unit}" if self.unit == "%" else f"{value} {self.unit}"

    def note_for(self, metric_name):
        """The note, led by the qualifier the metric's name leaves out."""
        if not self.qualifier or _normal(metric_name) == _normal(self.metric):
            return self.note
        return "; ".join(part for part in (self.qualifier, self.note) if part)

    def fields(self, metric_name):
        return {
            "low": self.low,
            "high": self.high,
            "text": self.text,
            "unit": self.unit,
            "year": self.year,
            "source": self.source,
            "confidence": self.confidence,
            "note": self.note_for(metric_name),
        }


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _figure_value(cell, line_number, line):
    """Read "3600000", "61–69" or "5 nm-class" into (low, high, text)."""
    if cell in NO_ENTRY:
        return None, None, ""
    match = FIGURE_VALUE.fullmatch(cell)
    if match is None:
        _check_length(cell, 120, "a value", line_number, line)
        return None, None, cell
    low = float(match[1].replace(",", ""))
    high = float(match[2].replace(",", "")) if match[2] else low
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ParseError(line_number, "a number, or a range from low to high", cell)
    return low, high, ""


def _parse_figure(cells, layer, line_number, line):
    row = dict(zip(FIGURE_COLUMNS, cells, strict=True))
    name = row["metric"]
    if not name or name in NO_ENTRY:
        raise ParseError(line_number, "a metric name in the first column", line)
    _check_length(name, 200, "a metric name", line_number, line)
    side_text = row["side"]
    if side_text in NO_ENTRY:
        side = None
    elif side_text.casefold() in FIGURE_SIDES:
        side = FIGURE_SIDES[side_text.casefold()]
    else:
        raise ParseError(line_number, "the side 'US & Allies', 'China' or '—'", line)
    low, high, text = _figure_value(row["value"], line_number, line)
    unit = "" if row["unit"] in NO_ENTRY else row["unit"]
    _check_length(unit, 60, "a unit", line_number, line)
    if row["year"] in NO_ENTRY:
        year = None
    elif YEAR.fullmatch(row["year"]):
        year = int(row["year"])
    else:
        raise ParseError(line_number, "a year such as 2024, or '—'", line)
    confidence = row["confidence"].casefold()
    if confidence in NO_ENTRY:
        confidence = Confidence.SOLID
    elif confidence not in Confidence.values:
        raise ParseError(
            line_number, "the confidence 'solid', 'estimate' or 'unsourced'", line
        )
    note = "" if row["note"] in NO_ENTRY else DIRECTIVE.sub("", row["note"]).strip()
    entry = FigureEntry(
        line_number=line_number,
        layer=layer,
        metric=name,
        side=side,
        low=low,
        high=high,
        text=text,
        unit=unit,
        year=year,
        source="" if row["source"] in NO_ENTRY else row["source"],
        confidence=confidence,
        note=note,
    )
    _check_length(entry.note_for(""), 255, "a note", line_number, line)
    return entry


def parse_figures(text):
    """Read every table of the figures file; raise ParseError at a mistake.

    Each '## Layer name' heading (anything in brackets after the name is
    ignored) starts the tables of that layer. Text outside tables is prose
    for people and skipped.
    """
    lines = _Lines(text)
    figures, layer, table = [], None, None
    seen = {}
    while (line := lines.advance()) is not None:
        number = lines.number - 1
        heading = HEADING.fullmatch(line)
        if heading and len(heading[1]) == 2:
            layer, table = _split_qualifier(heading[2].strip())[0], None
            continue
        if not line.startswith("|"):
            table = None
            continue
        if table is None:
            if [c.casefold() for c in _cells(line)] != list(FIGURE_COLUMNS):
                raise ParseError(
                    number, f"a header '| {' | '.join(FIGURE_COLUMNS)} |'", line
                )
            if layer is None:
                raise ParseError(
                    number, "a '## Layer name' heading before the table", line
                )
            table = "header"
            continue
        if table == "header":
            if not TABLE_RULE.fullmatch(line):
                raise ParseError(number, "a '|---|---|' line under the header", line)
            table = "rows"
            continue
        cells = _cells(line)
        if len(cells) != len(FIGURE_COLUMNS):
            raise ParseError(number, f"{len(FIGURE_COLUMNS)} cells in the row", line)
        entry = _parse_figure(cells, layer, number, line)
        if entry.side is not None:
            key = (_normal(layer), _metric_key(entry.metric), entry.side)
            if key in seen:
                raise ParseError(
                    number,
                    f"one figure per metric and side (line {seen[key]} has one)",
                    line,
                )
            seen[key] = number
        figures.append(entry)
    return figures


class _FiguresImporter:
    def __init__(self, figures):
        self.figures = figures
        self.report = ImportReport(as_of=None, source="the figures")

    def run(self):
        layers = {_normal(layer.name): layer for layer in Layer.objects.all()}
        for entry in self.figures:
            if _normal(entry.layer) not in layers:
                raise ImportConflict(
                    f"The figures name the layer '{entry.layer}' (line "
                    f"{entry.line_number}), which is not in the database."
                )
        metrics = Metric.objects.filter(layer__in=layers.values()).order_by("pk")
        index, positions = {}, Counter()
        for metric in metrics:
            by_name = index.setdefault(metric.layer_id, {})
            by_name.setdefault(_normal(metric.name), metric)
            by_name.setdefault(_metric_key(metric.name), metric)
            if metric.key:
                by_name.setdefault(f"key:{metric.key}", metric)
            positions[metric.layer_id] = max(
                positions[metric.layer_id], metric.position
            )
        values = {
            (value.metric_id, value.side): value
            for value in MetricValue.objects.filter(metric__in=metrics)
        }
        groups = {}
        for entry in self.figures:
            if entry.side is None:
                self.report.not_loaded.append(f"{entry.label} ({entry.shown})")
                continue
            layer = layers[_normal(entry.layer)]
            groups.setdefault((layer, _metric_key(entry.metric)), []).append(entry)
        new_metrics, new_values = [], []
        for (layer, key), entries in groups.items():
            by_name = index.get(layer.pk, {})
            # A metric a module uses is found by its key even if renamed.
            module_key = FIGURE_KEYS.get(entries[0].metric, "")
            metric = (
                by_name.get(f"key:{module_key}")
                or by_name.get(_normal(entries[0].metric))
                or by_name.get(key)
            )
            if metric is None:
                names = {entry.metric for entry in entries}
                name = entries[0].metric if len(names) == 1 else entries[0].base_name
                positions[layer.pk] += 1
                metric = Metric(
                    layer=layer,
                    name=name,
                    key=module_key,
                    position=positions[layer.pk],
                    formula="",
                )
                new_metrics.append(metric)
            for entry in entries:
                wanted = entry.fields(metric.name)
                existing = values.get((metric.pk, entry.side)) if metric.pk else None
                if existing is None:
                    new_values.append((metric, entry, wanted))
                else:
                    differences = _differences(existing, wanted)
                    if differences:
                        fields = _join(differences)
                        verb = "differs" if len(differences) == 1 else "differ"
                        self.report.left_alone.append(
                            f"Figure {entry.label} · {entry.side.label} "
                            f"({fields} {verb} from the figures)"
                        )
        _bulk_create(Metric, new_metrics)
        self.report.count_created("metrics", len(new_metrics))
        objs = [
            MetricValue(metric=metric, side=entry.side, **wanted)
            for metric, entry, wanted in new_values
        ]
        _bulk_create(MetricValue, objs)
        self.report.count_created("metric values", len(objs))


def import_figures(figures):
    """Write parsed figures in one transaction; leave existing values alone.

    Run it after the document, whose layers and metrics the figures attach
    to. Raise ImportConflict, writing nothing, if a layer is unknown.
    """
    importer = _FiguresImporter(figures)
    with transaction.atomic():
        importer.run()
    return importer.report
