"""Read a chart's data table and check it against what its kind needs.

Analysts type the table in the admin, or paste it from a spreadsheet: a
header row naming the columns, then one line per row. Cells are separated by
"|" (as in the content files' Markdown tables), by tabs (a spreadsheet
paste) or by commas (a CSV file). Mistakes are reported in plain words, one
message per problem, rows counted from the first row under the header.
"""

import csv
import math
import re
from dataclasses import dataclass, field

from django.db import models

from layers.models import Confidence


class Kind(models.TextChoices):
    RANKED = "ranked", "Ranked bars / podium"
    STACK = "stack", "Stacked shares (wafer stack)"
    GROUPED = "grouped", "Grouped bars"
    RANGES = "ranges", "Range timeline"
    HEATMAP = "heatmap", "Heatmap"
    FLOW = "flow", "Flow between nodes"
    TIERS = "tiers", "Tiers"
    BULLETIN = "bulletin", "Bulletin list"


# Words that stand for a figure nobody has published. Any other word in a
# number column is a mistake.
MISSING = {"", "—", "–", "-", "n/a", "na", "no public figure", "not given"}
NO_FIGURE = "no public figure"
LEVELS = ("low", "medium", "high", "critical")
# An ordered scale for qualitative heatmaps.
SCALE = ("none", "rare", "some", "most", "all")
SIDES = {
    "us & allies": "us",
    "us and allies": "us",
    "us": "us",
    "u.s.": "us",
    "united states": "us",
    "allies": "us",
    "allied": "us",
    "china": "china",
    "prc": "china",
    "": "",
    "—": "",
    "–": "",
    "-": "",
    "neither": "",
    "both": "",
    "other": "",
    "others": "",
}
SIDE_NAMES = {"us": "US & Allies", "china": "China", "": ""}
CONFIDENCES = {
    "": Confidence.SOLID,
    "—": Confidence.SOLID,
    "solid": Confidence.SOLID,
    "estimate": Confidence.ESTIMATE,
    "unsourced": Confidence.UNSOURCED,
    "tracker's own estimate": Confidence.UNSOURCED,
    "tracker’s own estimate": Confidence.UNSOURCED,
    "own estimate": Confidence.UNSOURCED,
}
# Columns any kind may have: they describe a row rather than draw it.
META = ("side", "unit", "shown", "year", "source", "confidence", "note")
RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?")
NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
YEAR = re.compile(r"\d{4}")
MAX_MESSAGES = 12
EMPTY_TABLE = (
    "The table has no rows, so readers would see an empty chart. Add at "
    "least one row under the header, or untick 'Shown to readers' to keep the "
    "chart hidden until it has its figures."
)


@dataclass(frozen=True)
class Column:
    key: str  # lower case, single spaces: what the code looks for
    name: str  # as the analyst wrote it: what readers see


@dataclass
class Figure:
    """One number cell: a number, or the words saying there is none."""

    value: float | None
    text: str

    @property
    def is_missing(self):
        return self.value is None

    @property
    def missing_label(self):
        """How a missing figure reads: as typed, or "no public figure"."""
        words = self.text.strip().casefold()
        return words if words and words not in {"—", "–", "-"} else NO_FIGURE


@dataclass
class Row:
    number: int  # counted from 1 under the header
    cells: list[str]
    side: str = ""
    unit: str = ""
    shown: str = ""
    year: int | None = None
    source: str = ""
    confidence: str = Confidence.SOLID
    note: str = ""
    label: str = ""
    group: str = ""
    value: Figure | None = None
    low: Figure | None = None
    high: Figure | None = None
    values: dict[str, Figure | str] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    level: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    date: str = ""
    tag: str = ""
    text: str = ""

    @property
    def is_own_estimate(self):
        return self.confidence == Confidence.UNSOURCED

    @property
    def is_estimate(self):
        return self.confidence == Confidence.ESTIMATE

    @property
    def has_number(self):
        figures = [self.value, self.low, self.high, *self.values.values()]
        return any(isinstance(f, Figure) and not f.is_missing for f in figures)


@dataclass
class Dataset:
    """A checked table, ready to draw."""

    kind: str
    columns: list[Column] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    series: list[Column] = field(default_factory=list)
    level_column: Column | None = None

    @property
    def is_empty(self):
        return not self.rows

    @property
    def groups(self):
        seen = []
        for row in self.rows:
            if row.group not in seen:
                seen.append(row.group)
        return seen


class DataError(ValueError):
    """The table has mistakes; ``messages`` says what each one is."""

    def __init__(self, messages):
        self.messages = messages[:MAX_MESSAGES]
        if len(messages) > MAX_MESSAGES:
            hidden = len(messages) - MAX_MESSAGES
            self.messages.append(f"…and {hidden} more of the same kind.")
        super().__init__("; ".join(self.messages))


def normal(name):
    return " ".join(name.replace("\u00a0", " ").casefold().split())


def side_of(text):
    """The side a cell or a series name stands for: "us", "china" or ""."""
    return SIDES.get(normal(text))


def series_side(name):
    return SIDES.get(normal(name), "")


# Reading the table


def _split(line, delimiter, edges=(False, False)):
    """Split a line into cells.

    With "|", ``edges`` says whether the header opens and closes with a
    pipe, as Markdown tables do; rows then have those pipes too, and a row
    with an empty first cell can still begin with one.
    """
    if delimiter == "|":
        line = line.strip()
        opens, closes = edges
        if opens and line.startswith("|"):
            line = line[1:]
        if closes and line.endswith("|") and not line.endswith("\\|"):
            line = line[:-1]
        cells = re.split(r"(?<!\\)\|", line)
        return [cell.replace("\\|", "|").strip() for cell in cells]
    if delimiter == "\t":
        return [cell.strip() for cell in line.split("\t")]
    return [cell.strip() for cell in next(csv.reader([line]))]


def read_table(text):
    """Split ``text`` into columns and rows of cells; raise DataError."""
    text = (text or "").removeprefix("\ufeff").replace("\r\n", "\n")
    lines = [line for line in text.replace("\r", "\n").split("\n") if line.strip()]
    lines = [line for line in lines if not RULE.fullmatch(line.strip())]
    if not lines:
        return [], []
    header = lines[0]
    if "|" in header:
        delimiter = "|"
    elif "\t" in header:
        delimiter = "\t"
    else:
        delimiter = ","
    edges = (header.strip().startswith("|"), header.strip().endswith("|"))
    names = _split(header, delimiter, edges)
    errors, columns, seen = [], [], {}
    for index, name in enumerate(names, start=1):
        key = normal(name)
        if not key:
            errors.append(
                f"the header: column {index} has no name. Name every column "
                "in the first line."
            )
        elif key in seen:
            errors.append(f"the header names the column '{name}' twice.")
        seen[key] = index
        columns.append(Column(key, name.strip()))
    rows = []
    for number, line in enumerate(lines[1:], start=1):
        cells = _split(line, delimiter, edges)
        while len(cells) > len(columns) and not cells[-1]:
            cells.pop()
        if len(cells) > len(columns):
            errors.append(
                f"row {number} has {len(cells)} cells, but the header names "
                f"only {len(columns)} columns."
            )
            continue
        if len(cells) < len(columns):
            # A short row is more often a slip than a choice: ask for the
            # empty cells, so every figure lands in the column it names.
            errors.append(
                f"row {number} has {len(cells)} cells, but the header names "
                f"{len(columns)} columns. Leave a cell empty where there is no "
                "figure, so each one stays under its column."
            )
            continue
        rows.append(cells)
    if errors:
        raise DataError(errors)
    return columns, rows


# Reading cells


def read_number(text):
    """Return the number in ``text``, None for a missing figure.

    Raise ValueError if the cell is neither.
    """
    cleaned = text.strip().replace("\u2212", "-").replace("\u2009", "")
    if cleaned.casefold() in MISSING:
        return None
    cleaned = cleaned.removesuffix("%").strip()
    if not NUMBER.fullmatch(cleaned):
        raise ValueError(text)
    number = float(cleaned.replace(",", ""))
    if not math.isfinite(number):
        raise ValueError(text)
    return number


class _Reader:
    """Checks one table for one kind, collecting every mistake."""

    def __init__(self, kind, columns, cells, has_sources):
        self.kind = kind
        self.columns = columns
        self.cells = cells
        self.has_sources = has_sources
        self.errors = []
        self.keys = {column.key: i for i, column in enumerate(columns)}

    def error(self, message):
        self.errors.append(message)

    def has(self, key):
        return key in self.keys

    def cell(self, cells, key):
        index = self.keys.get(key)
        return cells[index] if index is not None else ""

    def require(self, *keys, what):
        missing = [key for key in keys if not self.has(key)]
        if missing:
            names = " and ".join(f"'{key}'" for key in missing)
            noun = "a column" if len(missing) == 1 else "columns"
            self.error(
                f"the header: {what} needs {noun} named {names}. The header is "
                f"the first line: {', '.join(c.name for c in self.columns)}."
            )
        return not missing

    def figure(self, row, key, name=None):
        text = self.cell(row.cells, key)
        try:
            return Figure(read_number(text), text)
        except ValueError:
            self.error(
                f"row {row.number}: {name or key} must be a number, or left "
                f"empty if there is no public figure (it reads '{text}')."
            )
            return Figure(None, "")

    def meta(self, row):
        cells = row.cells
        side = self.cell(cells, "side")
        if side_of(side) is None:
            self.error(
                f"row {row.number}: side must be 'US & Allies', 'China' or left "
                f"empty (it reads '{side}')."
            )
        else:
            row.side = side_of(side)
        row.unit = self.cell(cells, "unit")
        row.shown = self.cell(cells, "shown")
        row.source = self.cell(cells, "source")
        if row.source in MISSING:
            row.source = ""
        row.note = self.cell(cells, "note")
        if row.note in {"—", "–", "-"}:
            row.note = ""
        year = self.cell(cells, "year")
        if year and year not in MISSING:
            if YEAR.fullmatch(year):
                row.year = int(year)
            else:
                self.error(
                    f"row {row.number}: year must be a year such as 2024, or "
                    f"left empty (it reads '{year}')."
                )
        confidence = normal(self.cell(cells, "confidence"))
        if confidence in CONFIDENCES:
            row.confidence = CONFIDENCES[confidence]
        else:
            self.error(
                f"row {row.number}: confidence must be 'solid', 'estimate' or "
                f"'unsourced' (the tracker's own estimate), or left empty (it "
                f"reads '{self.cell(cells, 'confidence')}')."
            )

    def check_source(self, row):
        if row.has_number and not row.source and not self.has_sources:
            self.error(
                f"row {row.number}: say where its figures come from: fill its "
                "'source' cell, or list the chart's sources."
            )

    def label(self, row, key, what="label"):
        text = self.cell(row.cells, key)
        if not text or text in MISSING:
            self.error(f"row {row.number}: give it a {what}.")
        return text

    def rows(self):
        rows = [Row(number, cells) for number, cells in enumerate(self.cells, 1)]
        for row in rows:
            self.meta(row)
        return rows

    def extra_columns(self, used):
        return [c for c in self.columns if c.key not in used and c.key not in META]


def _ranked(reader, data):
    if not reader.require("label", "value", what=Kind(data.kind).label):
        return
    seen = {}
    for row in reader.rows():
        row.label = reader.label(row, "label")
        row.group = reader.cell(row.cells, "group")
        row.value = reader.figure(row, "value")
        if row.value.value is not None and row.value.value < 0:
            reader.error(f"row {row.number}: value cannot be below zero.")
        key = (normal(row.group), normal(row.label))
        if row.label and key in seen:
            where = f" in the group '{row.group}'" if row.group else ""
            reader.error(
                f"row {row.number}: '{row.label}' is already in row {seen[key]}{where}."
            )
        seen.setdefault(key, row.number)
        reader.check_source(row)
        data.rows.append(row)
    if data.kind == Kind.STACK:
        for group in data.groups:
            total = sum(
                row.value.value or 0
                for row in data.rows
                if row.group == group and row.value
            )
            if total > 100.5:
                name = f"the group '{group}'" if group else "the table"
                reader.error(
                    f"the shares in {name} add up to {total:g}, more than 100: "
                    "a wafer stack shows shares of one whole."
                )


def _series_rows(reader, data, first):
    """Grouped bars and tiers: the first column names the row, the others
    that are not descriptive hold one figure per series."""
    what = Kind(data.kind).label
    if not reader.require(first, what=what):
        return
    data.series = reader.extra_columns({first})
    if not data.series:
        reader.error(
            f"the header: add at least one column of figures after '{first}', "
            "e.g. 'US & Allies' and 'China'."
        )
        return
    for row in reader.rows():
        row.label = reader.label(row, first, what=f"'{first}'")
        for column in data.series:
            row.values[column.key] = reader.figure(row, column.key, f"'{column.name}'")
        reader.check_source(row)
        data.rows.append(row)


def _grouped(reader, data):
    _series_rows(reader, data, "label")


def _tiers(reader, data):
    _series_rows(reader, data, "tier")


def _ranges(reader, data):
    if not reader.require("label", "from", "to", what="A range timeline"):
        return
    for row in reader.rows():
        row.label = reader.label(row, "label")
        row.low = reader.figure(row, "from", "'from'")
        row.high = reader.figure(row, "to", "'to'")
        low, high = row.low.value, row.high.value
        if (low is None) != (high is None):
            reader.error(
                f"row {row.number}: give both 'from' and 'to', or leave both "
                "empty if there is no public figure."
            )
        elif low is not None and low > high:
            reader.error(
                f"row {row.number}: 'from' ({low:g}) is after 'to' ({high:g})."
            )
        reader.check_source(row)
        data.rows.append(row)


def _heatmap(reader, data):
    if not reader.require("label", what="A heatmap"):
        return
    data.series = reader.extra_columns({"label"})
    if not data.series:
        reader.error(
            "the header: add at least one column after 'label', e.g. one per year."
        )
        return
    words = numbers = 0
    for row in reader.rows():
        row.label = reader.label(row, "label")
        for column in data.series:
            text = reader.cell(row.cells, column.key)
            if normal(text) in SCALE:
                row.values[column.key] = normal(text)
                words += 1
                continue
            try:
                value = read_number(text)
            except ValueError:
                reader.error(
                    f"row {row.number}, column '{column.name}': write a number "
                    f"or one of the words {', '.join(SCALE)}, or leave it "
                    f"empty if there is no public figure (it reads '{text}')."
                )
                value = None
            if value is not None:
                numbers += 1
            row.values[column.key] = Figure(value, text)
        reader.check_source(row)
        data.rows.append(row)
    if words and numbers:
        reader.error(
            "the cells mix numbers with the words "
            f"{', '.join(SCALE)}: use numbers throughout or the words "
            "throughout, so that one colour scale reads them all."
        )


def _flow(reader, data):
    if not reader.require("node", what="A flow"):
        return
    level_keys = [c for c in reader.columns if c.key in {"level", "constraint"}]
    level_keys += [
        c
        for c in reader.columns
        if c.key.startswith("constraint") and c not in level_keys
    ]
    data.level_column = level_keys[0] if level_keys else None
    used = {"node", "to", "value", "constraint", "level"}
    if data.level_column:
        used.add(data.level_column.key)
    detail_columns = reader.extra_columns(used)
    rows = reader.rows()
    defined = {}
    for row in rows:
        row.label = reader.label(row, "node", what="node name")
        key = normal(row.label)
        if row.label and key in defined:
            reader.error(
                f"row {row.number}: the node '{row.label}' is already defined "
                f"in row {defined[key]}."
            )
        defined.setdefault(key, row.number)
    for row in rows:
        to = reader.cell(row.cells, "to")
        row.targets = [] if to in MISSING else [t.strip() for t in to.split(";")]
        row.targets = [t for t in row.targets if t]
        for target in row.targets:
            if normal(target) not in defined:
                reader.error(
                    f"row {row.number}: 'to' names a node that no row defines: "
                    f"'{target}'."
                )
            elif normal(target) == normal(row.label):
                reader.error(f"row {row.number}: a node cannot flow into itself.")
        row.value = reader.figure(row, "value") if reader.has("value") else None
        if row.value and row.value.value is not None:
            if len(row.targets) != 1:
                reader.error(
                    f"row {row.number}: a value belongs to one link, so 'to' "
                    "must name exactly one node."
                )
            elif row.value.value < 0:
                reader.error(f"row {row.number}: value cannot be below zero.")
        if data.level_column:
            level = normal(reader.cell(row.cells, data.level_column.key))
            if level in LEVELS:
                row.level = level
            elif level and level not in MISSING:
                reader.error(
                    f"row {row.number}: '{data.level_column.name}' must be one "
                    f"of {', '.join(LEVELS)} (it reads "
                    f"'{reader.cell(row.cells, data.level_column.key)}')."
                )
        row.details = [
            (column.name, reader.cell(row.cells, column.key))
            for column in detail_columns
            if reader.cell(row.cells, column.key) not in MISSING
        ]
        reader.check_source(row)
        data.rows.append(row)
    if not reader.errors:
        cycle = _find_cycle(data.rows)
        if cycle:
            path = " → ".join(row.label for row in cycle)
            numbers = ", ".join(str(row.number) for row in cycle[:-1])
            reader.error(
                f"rows {numbers}: the flow goes round in a circle ({path}); a "
                "flow must run one way."
            )


def _find_cycle(rows):
    by_name = {normal(row.label): row for row in rows}
    state = {}

    def visit(row, path):
        state[row.number] = "open"
        for target in row.targets:
            nxt = by_name[normal(target)]
            if state.get(nxt.number) == "open":
                start = next(i for i, r in enumerate(path) if r is nxt)
                return [*path[start:], nxt]
            if nxt.number not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[row.number] = "done"
        return None

    for row in rows:
        if row.number not in state and (found := visit(row, [row])):
            return found
    return None


def _bulletin(reader, data):
    if not reader.require("title", what="A bulletin list"):
        return
    for row in reader.rows():
        row.label = reader.label(row, "title", what="title")
        row.date = reader.cell(row.cells, "date")
        row.tag = reader.cell(row.cells, "tag")
        row.text = reader.cell(row.cells, "text")
        data.rows.append(row)


READERS = {
    Kind.RANKED: _ranked,
    Kind.STACK: _ranked,
    Kind.GROUPED: _grouped,
    Kind.RANGES: _ranges,
    Kind.HEATMAP: _heatmap,
    Kind.FLOW: _flow,
    Kind.TIERS: _tiers,
    Kind.BULLETIN: _bulletin,
}

# What the admin tells analysts each kind needs.
COLUMNS_HELP = {
    Kind.RANKED: "label, value; optional group (e.g. a year: one podium each)",
    Kind.STACK: "label, value (shares of 100); optional group (one stack each)",
    Kind.GROUPED: "label, then one column of figures per series (e.g. "
    "'US & Allies', 'China'); a 'unit' column gives each row its own scale",
    Kind.RANGES: "label, from, to",
    Kind.HEATMAP: "label, then one column per heatmap column; cells hold "
    f"numbers or the words {', '.join(SCALE)}",
    Kind.FLOW: "node, to (the node it flows into; several separated by ';'), "
    "optional value (the link's size), constraint or level "
    f"({', '.join(LEVELS)}); other columns are printed in the node",
    Kind.TIERS: "tier, then one column of figures per series",
    Kind.BULLETIN: "title; optional date, tag, text",
}


def read(kind, text, *, has_sources=False):
    """Check ``text`` as the table of a chart of ``kind``; return a Dataset.

    Raise DataError listing every mistake. A blank table reads as no rows;
    a chart may keep one only while it is hidden (see Chart.clean).
    """
    columns, cells = read_table(text)
    data = Dataset(kind=kind, columns=columns)
    if not columns:
        return data
    reader = _Reader(kind, columns, cells, has_sources)
    READERS[Kind(kind)](reader, data)
    if reader.errors:
        raise DataError(reader.errors)
    return data


def display(data):
    """The table's header and rows as readers see them.

    Cells read as typed, except that an empty cell shows a dash and the side
    and confidence columns use the site's own words.
    """
    sides = {"us": "US & Allies", "china": "China", "": "—"}
    header = [column.name for column in data.columns]
    rows = []
    for row in data.rows:
        cells = []
        for column, text in zip(data.columns, row.cells, strict=True):
            if column.key == "side":
                text = sides[row.side]
            elif column.key == "confidence":
                text = Confidence(row.confidence).label
            cells.append(text or "—")
        rows.append(cells)
    return {"header": header, "rows": rows}
