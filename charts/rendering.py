"""Draw a chart as SVG on the server, for two widths.

Each chart is drawn twice: a wide drawing for the layer page's main column
and a narrow one laid out for a phone; the stylesheet shows the one that
fits. Text is measured with a rough table of character widths, enough to
wrap labels and keep them apart. Colours come from the stylesheet through
class names, so the drawings follow the light and dark themes and the page
needs no inline style.
"""

import math
from collections import Counter
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import layout
from .tables import LEVELS, NO_FIGURE, SCALE, SIDE_NAMES, Figure, Kind, series_side

WIDE = 720
NARROW = 340
OWN_ESTIMATE = "tracker’s own estimate"


@dataclass(frozen=True)
class Style:
    cls: str
    size: float
    bold: bool = False


BODY = Style("chart__text", 13)
SMALL = Style("chart__text chart__text--small", 11.5)
STRONG = Style("chart__text chart__text--strong", 13, bold=True)
TITLE = Style("chart__text chart__text--title", 14, bold=True)
VALUE = Style("chart__value", 13, bold=True)
BIG_VALUE = Style("chart__value chart__value--big", 16, bold=True)
AXIS = Style("chart__axis", 11)
MISSING_TEXT = Style("chart__text chart__text--missing", 12)
RANK = Style("chart__rank", 20, bold=True)
CARD_TAG = Style("chart__text chart__text--tag", 10.5, bold=True)
LEGEND_TITLE = Style("chart__text chart__text--small chart__legend-title", 11.5, True)
LEVEL = Style("chart__level-text", 10, bold=True)
LABEL = Style("chart__text chart__text--small chart__text--label", 11.5, bold=True)

# fmt: off
# Advance widths in ems of DejaVu Sans, the widest sans-serif a reader's
# system is likely to fall back to: a label measured with it fits elsewhere.
_WIDTHS = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        (
            0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278,
            0.278, 0.579, 0.278, 0.974, 0.634, 0.612, 0.635, 0.635, 0.411,
            0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525,
        ),
        strict=True,
    )
)
_WIDTHS.update(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295,
            0.295, 0.656, 0.557, 0.863, 0.748, 0.787, 0.603, 0.787, 0.695,
            0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685,
        ),
        strict=True,
    )
)
_WIDTHS.update(dict.fromkeys("0123456789$£€¥", 0.636))
_WIDTHS.update(
    {
        " ": 0.318, ".": 0.318, ",": 0.318, "’": 0.318, "'": 0.275,
        ":": 0.337, ";": 0.337, "(": 0.39, ")": 0.39, "[": 0.39, "]": 0.39,
        "-": 0.361, "–": 0.5, "—": 1.0, "·": 0.318, "/": 0.337, "%": 0.95,
        "&": 0.779, '"': 0.4, "“": 0.5, "”": 0.5, "?": 0.531, "!": 0.4,
        "→": 0.838, "<": 0.838, ">": 0.838, "=": 0.838, "+": 0.838,
        "×": 0.838, "…": 1.0,
    }
)
# fmt: on
BOLD_FACTOR = 1.125


def text_width(text, style):
    width = sum(_WIDTHS.get(char, 0.62) for char in text)
    return width * style.size * (BOLD_FACTOR if style.bold else 1.0)


def wrap(text, width, style, max_lines=None):
    """Break ``text`` into lines no wider than ``width``."""
    lines, current = [], ""
    for word in str(text).split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, style) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
        while text_width(current, style) > width and len(current) > 1:
            # A word longer than the line: break it.
            cut = len(current) - 1
            while cut > 1 and text_width(current[:cut] + "-", style) > width:
                cut -= 1
            lines.append(current[:cut] + "-")
            current = current[cut:]
    if current:
        lines.append(current)
    if max_lines and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = kept[-1].rstrip(".,;:") + "…"
        return kept
    return lines or [""]


def line_height(style):
    return round(style.size * 1.3, 1)


def _n(value):
    """A coordinate for an attribute: at most one decimal."""
    value = round(float(value), 1)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def number(value):
    """Write a figure the way the page does: 3,600,000; 0.14; 69."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    decimals = 1 if abs(value) >= 100 else 2
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


CURRENCIES = ("US$", "CN¥", "$", "£", "€", "¥")


def with_unit(value, unit):
    """69 and '%' make '69%'; 10 and 'US$ million' make 'US$10 million'."""
    text = number(value)
    unit = (unit or "").strip()
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    for currency in CURRENCIES:
        if unit.startswith(currency):
            rest = unit[len(currency) :].strip()
            return f"{currency}{text}" + (f" {rest}" if rest else "")
    return f"{text} {unit}"


def nice_max(value):
    """A round number at or above ``value`` for the end of an axis."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value - 1e-9:
            return step * power
    return 10 * power


def ticks(top, count=5):
    """Evenly spaced round values from 0 to ``top``."""
    raw = top / (count - 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(
        (s * power for s in (1, 2, 2.5, 5, 7, 10) if s * power >= raw - 1e-9),
        10 * power,
    )
    values, value = [], 0.0
    while value <= top + 1e-9:
        values.append(round(value, 10))
        value += step
    return values


class Canvas:
    """Collects SVG elements; every text and attribute is escaped."""

    def __init__(self, width, ident):
        self.width = width
        self.ident = ident
        self.parts = []

    def _attrs(self, attrs):
        out = []
        for name, value in attrs.items():
            if value is None or value == "":
                continue
            if isinstance(value, float | int) and not isinstance(value, bool):
                value = _n(value)
            out.append(f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"')
        return "".join(out)

    def element(self, tag, cls="", **attrs):
        self.parts.append(f"<{tag}{self._attrs({'class': cls, **attrs})}/>")

    def rect(self, x, y, width, height, cls, rx=0):
        self.element(
            "rect", cls, x=x, y=y, width=max(width, 0), height=max(height, 0), rx=rx
        )

    def line(self, x1, y1, x2, y2, cls):
        self.element("line", cls, x1=x1, y1=y1, x2=x2, y2=y2)

    def path(self, d, cls):
        self.element("path", cls, d=d)

    def circle(self, cx, cy, r, cls):
        self.element("circle", cls, cx=cx, cy=cy, r=r)

    def ellipse(self, cx, cy, rx, ry, cls):
        self.element("ellipse", cls, cx=cx, cy=cy, rx=rx, ry=ry)

    def polygon(self, points, cls):
        text = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.element("polygon", cls, points=text)

    def text(self, x, y, spans, style=BODY, anchor="start", extra=""):
        """One line of text; ``spans`` is a string or (text, Style) pairs."""
        if isinstance(spans, str):
            inner = escape(spans)
        else:
            inner = "".join(
                f'<tspan class="{span_style.cls}">{escape(text)}</tspan>'
                for text, span_style in spans
            )
        cls = f"{style.cls} {extra}".strip()
        anchor = None if anchor == "start" else anchor
        self.parts.append(
            f"<text{self._attrs({'class': cls, 'x': x, 'y': y, 'text_anchor': anchor})}"
            f">{inner}</text>"
        )

    def lines(self, x, y, lines, style=BODY, anchor="start", extra=""):
        """Several lines from baseline ``y`` down; return the height used."""
        step = line_height(style)
        for index, text in enumerate(lines):
            self.text(x, y + index * step, text, style, anchor, extra)
        return step * len(lines)

    def open(self, cls):
        self.parts.append(f'<g class="{escape(cls)}">')

    def close(self):
        self.parts.append("</g>")

    def svg(self, height, title, desc, cls):
        height = math.ceil(height)
        head = (
            f'<svg class="{escape(cls)}" viewBox="0 0 {self.width} {height}" '
            f'width="{self.width}" height="{height}" role="img" '
            f'aria-labelledby="{self.ident}-title {self.ident}-desc" '
            'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{self.ident}-title">{escape(title)}</title>'
            f'<desc id="{self.ident}-desc">{escape(desc)}</desc>'
        )
        return mark_safe(head + "".join(self.parts) + "</svg>")  # noqa: S308


# Colours


class Palette:
    """Give each name a colour class that stays the same across a chart.

    US & Allies names take shades of the allied blue, Chinese ones shades of
    red, and the rest neutral tones.
    """

    SHADES = {"us": 4, "china": 2, "": 4}

    def __init__(self):
        self.assigned = {}
        self.counts = {"us": 0, "china": 0, "": 0}

    def __call__(self, name, side):
        key = (name.casefold(), side)
        if key not in self.assigned:
            index = self.counts[side] % self.SHADES[side]
            self.counts[side] += 1
            family = side or "n"
            self.assigned[key] = f"chart__fill--{family}" + (
                f"-{index + 1}" if index or family == "n" else ""
            )
        return self.assigned[key]


def side_fill(side):
    return {"us": "chart__fill--us", "china": "chart__fill--china"}.get(
        side, "chart__fill--n-1"
    )


# Legends


@dataclass
class Key:
    label: str
    cls: str
    shape: str = "box"  # box, dashed, dot


def draw_legend(canvas, keys, y, width, title=""):
    """Lay out ``keys`` in rows from ``y``; return the height used."""
    if not keys:
        return 0
    canvas.open("chart__legend")
    x, row_y, height = 0.0, y, line_height(SMALL) + 6
    if title:
        canvas.text(0, row_y + 11, title, LEGEND_TITLE)
        x = text_width(title, LEGEND_TITLE) + 10
    for key in keys:
        item_width = 18 + text_width(key.label, SMALL) + 16
        if x > 0 and x + item_width > width:
            x, row_y = 0.0, row_y + height
        if key.shape == "dot":
            canvas.circle(x + 6, row_y + 7, 5, key.cls)
        elif key.shape == "line":
            canvas.line(x, row_y + 7, x + 13, row_y + 7, key.cls)
        elif key.shape == "dashed":
            canvas.rect(x + 0.5, row_y + 1.5, 12, 11, f"{key.cls} chart__mark--own")
        elif key.shape == "outlined":
            canvas.rect(x, row_y + 1, 13, 12, key.cls, rx=2)
            canvas.rect(x + 0.75, row_y + 1.75, 11.5, 10.5, "chart__outline", rx=2)
        else:
            canvas.rect(x, row_y + 1, 13, 12, key.cls, rx=2)
        canvas.text(x + 18, row_y + 11, key.label, SMALL)
        x += item_width
    canvas.close()
    return row_y - y + height + 8


def side_keys(rows, extra_neutral="Other"):
    sides = [row.side for row in rows]
    keys = [
        Key(SIDE_NAMES[side], side_fill(side))
        for side in ("us", "china")
        if side in sides
    ]
    if keys and "" in sides:
        keys.append(Key(extra_neutral, side_fill("")))
    return keys


def own_key(rows):
    if any(row.is_own_estimate for row in rows):
        return [
            Key(f"Dashed outline: the {OWN_ESTIMATE}", "chart__fill--n-1", "dashed")
        ]
    return []


# The drawing of each kind


@dataclass
class Drawing:
    wide: str
    narrow: str
    desc: str
    # Graphviz could not lay the chart out: ``wide`` says so in a sentence.
    is_unavailable: bool = False


def figure_text(row, figure, unit):
    """A figure as the chart writes it: the 'shown' words, or number and
    unit; for a missing figure, the 'shown' words or the table's own."""
    if figure is None or figure.is_missing:
        if row.shown:
            return row.shown
        return figure.missing_label if figure is not None else NO_FIGURE
    return row.shown or with_unit(figure.value, row.unit or unit)


def _empty(canvas):
    canvas.rect(0, 0, canvas.width, 72, "chart__empty", rx=4)
    canvas.text(canvas.width / 2, 42, "No figures yet.", MISSING_TEXT, anchor="middle")
    return 72


def _axis(canvas, x0, x1, top, bottom, scale, label):
    """Gridlines, tick labels and the axis label under a horizontal plot."""
    canvas.open("chart__grid")
    for value in ticks(scale):
        x = x0 + (x1 - x0) * value / scale
        canvas.line(x, top, x, bottom, "chart__gridline")
        canvas.text(x, bottom + 14, number(value), AXIS, anchor="middle")
    canvas.line(x0, bottom, x1, bottom, "chart__baseline")
    canvas.close()
    height = 20
    if label:
        if text_width(label, AXIS) <= x1 - x0:
            canvas.text((x0 + x1) / 2, bottom + 32, label, AXIS, anchor="middle")
            height += 16
        else:
            lines = wrap(label, canvas.width - x0, AXIS, 3)
            height += canvas.lines(x0, bottom + 32, lines, AXIS) + 2
    return height


def _scale_note(canvas, x, y, label):
    """Say under a chart without an axis what its bars measure."""
    if not label:
        return 0
    lines = wrap(f"Bars drawn to scale: {label}", canvas.width - x, AXIS, 3)
    return canvas.lines(x, y + 12, lines, AXIS) + 6


def axis_label(chart, unit=None):
    unit = chart.unit if unit is None else unit
    if chart.measure and unit:
        return f"{chart.measure} ({unit})"
    return chart.measure or (f"In {unit}" if unit else "")


def _scale(chart, values):
    top = max([v for v in values if v is not None], default=0)
    if chart.scale_max:
        return max(chart.scale_max, top)
    return nice_max(top)


# Ranked bars and the podium


def _ranks(rows):
    numbered = sorted(
        (row for row in rows if not row.value.is_missing),
        key=lambda row: -row.value.value,
    )
    ranks, previous, rank = [], None, 0
    for index, row in enumerate(numbered, start=1):
        if row.value.value != previous:
            rank, previous = index, row.value.value
        ranks.append((rank, row))
    return ranks


PODIUM_HEIGHTS = {1: 74, 2: 52, 3: 36}


def _podium(canvas, chart, ranks, x, y, width):
    """Steps for the places that have figures, in podium order (2, 1, 3),
    centred in ``width``: one figure makes one step, not three."""
    gap = 8
    step_width = (width - 2 * gap) / 3
    places = {
        place: [row for rank, row in ranks if rank == place] for place in PODIUM_HEIGHTS
    }
    slots = [place for place in (2, 1, 3) if places[place]]
    name_lines = {
        place: wrap(
            " · ".join(r.label for r in places[place]), step_width - 4, STRONG, 3
        )
        for place in slots
    }
    label_height = (
        max(len(lines) for lines in name_lines.values()) * line_height(STRONG)
        + line_height(BIG_VALUE)
        + 6
    )
    tallest = max(PODIUM_HEIGHTS[place] for place in slots)
    base = y + label_height + tallest
    used = len(slots) * step_width + (len(slots) - 1) * gap
    left = x + (width - used) / 2
    for slot, place in enumerate(slots):
        sx = left + slot * (step_width + gap)
        height = PODIUM_HEIGHTS[place]
        top = base - height
        rows = places[place]
        cx = sx + step_width / 2
        sides = {row.side for row in rows}
        side = sides.pop() if len(sides) == 1 else ""
        canvas.open("chart__grow-y")
        canvas.rect(sx, top, step_width, height, f"chart__step {side_fill(side)}")
        canvas.close()
        canvas.text(
            cx,
            top + height / 2 + 8,
            str(place),
            RANK,
            anchor="middle",
            extra=f"chart__rank--{side or 'n'}",
        )
        value_y = top - 8
        canvas.text(
            cx,
            value_y,
            figure_text(rows[0], rows[0].value, chart.unit),
            BIG_VALUE,
            anchor="middle",
        )
        lines = name_lines[place]
        first = (
            value_y - line_height(BIG_VALUE) - (len(lines) - 1) * line_height(STRONG)
        )
        canvas.lines(cx, first + 2, lines, STRONG, anchor="middle")
    canvas.line(left, base, left + used, base, "chart__baseline")
    return base - y + 14


def _ranked_list(canvas, chart, rows, ranks, x, y, width, scale):
    rank_of = {id(row): rank for rank, row in ranks}
    ordered = [row for _, row in ranks] + [r for r in rows if r.value.is_missing]
    label_width = min(150, width * 0.38)
    value_width = 64
    bar_x = x + 26 + label_width + 6
    bar_width = max(width - (bar_x - x) - value_width, 20)
    row_y = y
    for row in ordered:
        lines = wrap(row.label, label_width, BODY, 2)
        height = max(24, len(lines) * line_height(BODY) + 8)
        mid = row_y + height / 2
        rank = rank_of.get(id(row))
        canvas.text(x, mid + 4, str(rank) if rank else "–", STRONG)
        canvas.lines(
            x + 26, mid + 4 - (len(lines) - 1) * line_height(BODY) / 2, lines, BODY
        )
        if row.value.is_missing:
            canvas.rect(bar_x, mid - 7, bar_width, 14, "chart__placeholder")
            canvas.text(bar_x + 6, mid + 4, row.value.missing_label, MISSING_TEXT)
        else:
            length = bar_width * row.value.value / scale if scale else 0
            own = " chart__mark--own" if row.is_own_estimate else ""
            canvas.open("chart__grow-x")
            canvas.rect(bar_x, mid - 7, length, 14, side_fill(row.side) + own, rx=1)
            canvas.close()
            canvas.text(
                bar_x + length + 6,
                mid + 4.5,
                figure_text(row, row.value, chart.unit),
                VALUE,
            )
        row_y += height
    return row_y - y


def _panel_layout(canvas, count, min_width=300):
    """How many panels fit side by side, and how wide each is."""
    gap = 32
    across = max(1, min(count, int((canvas.width + gap) // (min_width + gap))))
    width = (canvas.width - gap * (across - 1)) / across
    return across, width, gap


def draw_ranked(canvas, chart, data):
    y = draw_legend(canvas, side_keys(data.rows) + own_key(data.rows), 0, canvas.width)
    values = [row.value.value for row in data.rows]
    scale = _scale(chart, values)
    groups = data.groups
    across, width, gap = _panel_layout(canvas, len(groups))
    row_top, row_height = y, 0.0
    for index, group in enumerate(groups):
        column = index % across
        if index and column == 0:
            row_top += row_height + 28
            row_height = 0.0
        x = column * (width + gap)
        rows = [row for row in data.rows if row.group == group]
        ranks = _ranks(rows)
        py = row_top
        canvas.open("chart__panel")
        if group:
            canvas.text(x, py + 15, group, TITLE)
            py += 30
        if ranks:
            py += _podium(canvas, chart, ranks, x, py, width)
        py += 8
        py += _ranked_list(canvas, chart, rows, ranks, x, py, width, scale)
        canvas.close()
        row_height = max(row_height, py - row_top)
    y = row_top + row_height + 8
    return y + _scale_note(canvas, 0, y, axis_label(chart))


# The wafer stack


def _spread(positions, spacing, low, high):
    """Move label positions apart by ``spacing``, keeping their order."""
    placed = []
    if not positions:
        return placed
    for position in positions:
        if placed and position < placed[-1] + spacing:
            position = placed[-1] + spacing
        placed.append(position)
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for index in range(len(placed) - 2, -1, -1):
            placed[index] = min(placed[index], placed[index + 1] - spacing)
    return [max(p, low) for p in placed]


def _stack_label(row, chart):
    spans = [
        (f"{row.label} ", STRONG),
        (figure_text(row, row.value, chart.unit), VALUE),
    ]
    if row.is_own_estimate:
        spans.append((f" · {OWN_ESTIMATE}", SMALL))
    return spans


def draw_stack(canvas, chart, data):
    palette = Palette()
    keys = []
    for row in data.rows:
        fill = palette(row.label, row.side)
        if not any(key.label == row.label for key in keys):
            keys.append(Key(row.label, fill))
    keys.append(Key("Not broken down in the source", "chart__fill--none", "dashed"))
    y = draw_legend(canvas, keys, 0, canvas.width)
    groups = data.groups
    across, width, gap = _panel_layout(canvas, len(groups), min_width=310)
    stack_width, ry, full = 96, 11, 210
    labels = {}
    for row in data.rows:
        labels.setdefault(row.label, row)
    row_top, row_height = y + 4, 0.0
    for index, group in enumerate(groups):
        column = index % across
        if index and column == 0:
            row_top += row_height + 28
            row_height = 0.0
        x = column * (width + gap)
        rows = [row for row in data.rows if row.group == group]
        py = row_top
        if group:
            canvas.text(x, py + 15, group, TITLE)
            py += 26
        if chart.measure:
            lines = wrap(f"Whole stack: {chart.measure.lower()}", width, SMALL, 2)
            py += canvas.lines(x, py + 11, lines, SMALL) + 6
        top = py + ry
        bottom = top + full
        cx, rx = x + stack_width / 2, stack_width / 2
        canvas.open("chart__wafers")
        level = bottom
        placed = []
        shown = [row for row in rows if not row.value.is_missing and row.value.value]
        for row in shown:
            height = full * min(row.value.value, 100) / 100
            upper = level - height
            fill = palette(row.label, row.side)
            # The slab's side alone, between two front curves: its area is
            # its share, however thin; a face on top would be the same size
            # for 2% as for 69%.
            canvas.path(
                f"M{_n(x)},{_n(upper)} V{_n(level)} A{_n(rx)},{ry} 0 0 0 "
                f"{_n(x + stack_width)},{_n(level)} V{_n(upper)} A{_n(rx)},{ry} "
                f"0 0 1 {_n(x)},{_n(upper)} Z",
                f"chart__slab {fill}",
            )
            for share in range(5, 100, 5):
                line_y = bottom - full * share / 100
                if upper + 2 < line_y < level - 2:
                    canvas.path(
                        f"M{_n(x)},{_n(line_y)} a{_n(stack_width / 2)},{ry} 0 0 0 "
                        f"{_n(stack_width)},0",
                        "chart__wafer-line",
                    )
            placed.append((row, (upper + level) / 2))
            level = upper
        if shown:
            canvas.ellipse(cx, level, rx, ry, "chart__wafer-top")
        total = sum(row.value.value for row in shown)
        rest = 100 - total
        if rest > 0.5:
            upper = bottom - full
            canvas.path(
                f"M{_n(x)},{_n(level)} V{_n(upper)} M{_n(x + stack_width)},"
                f"{_n(upper)} V{_n(level)}",
                "chart__fill--none",
            )
            canvas.ellipse(cx, upper, stack_width / 2, ry, "chart__fill--none")
        canvas.close()
        label_x = x + stack_width + 18
        wanted = [mid for _, mid in placed]
        if rest > 0.5:
            wanted.append((bottom - full + level) / 2)
        positions = _spread(sorted(wanted), 17, top - 4, bottom + 4)
        # Labels run top to bottom; segments were placed bottom to top.
        order = sorted(range(len(wanted)), key=lambda i: wanted[i])
        for rank, position in zip(order, positions, strict=True):
            target = wanted[rank]
            canvas.path(
                f"M{_n(x + stack_width + 2)},{_n(target)} L{_n(label_x - 4)},"
                f"{_n(position - 4)}",
                "chart__leader",
            )
            if rank < len(placed):
                row = placed[rank][0]
                canvas.text(label_x, position, _stack_label(row, chart), STRONG)
            else:
                canvas.text(
                    label_x, position, f"Rest: {number(rest)}% not broken down", SMALL
                )
        zero = [row for row in rows if not row.value.is_missing and not row.value.value]
        missing = [row for row in rows if row.value.is_missing]
        missing += [
            labels[name]
            for name in labels
            if not any(row.label == name for row in rows)
        ]
        notes_top = py = bottom + ry + 18
        for row in zero:
            canvas.text(x, py, _stack_label(row, chart), STRONG)
            py += line_height(STRONG)
        if missing:
            names = ", ".join(row.label for row in missing)
            lines = wrap(f"Not given: {names}", width, MISSING_TEXT, 3)
            py += canvas.lines(x, py, lines, MISSING_TEXT)
        row_height = max(row_height, max(py, notes_top) - row_top)
    return row_top + row_height + 8


# Grouped bars and tiers


def _series_fills(series):
    palette = Palette()
    return {
        column.key: palette(column.name, series_side(column.name)) for column in series
    }


def _series_keys(series, fills, rows):
    keys = [Key(column.name, fills[column.key]) for column in series]
    return keys + own_key(rows)


def _bars_for_row(canvas, chart, row, series, fills, x0, width, y, scale, unit):
    """One bar per series, stacked down from ``y``; return the height used."""
    bar, gap = 14, 5
    value_room = 150 if canvas.width >= 600 else 96
    plot = max(width - value_room, 40)
    for index, column in enumerate(series):
        by = y + index * (bar + gap)
        figure = row.values[column.key]
        if figure.is_missing:
            canvas.rect(x0, by, plot, bar, "chart__placeholder")
            canvas.text(x0 + 6, by + 11, figure.missing_label, MISSING_TEXT)
            continue
        length = plot * figure.value / scale if scale else 0
        own = " chart__mark--own" if row.is_own_estimate else ""
        canvas.open("chart__grow-x")
        canvas.rect(x0, by, length, bar, fills[column.key] + own, rx=1)
        canvas.close()
        text = figure_text(row, figure, unit)
        if len(series) > 1 and row.shown:
            text = with_unit(figure.value, row.unit or unit)
        canvas.text(x0 + length + 6, by + 11.5, text, VALUE)
    return len(series) * (bar + gap) - gap


def draw_grouped(canvas, chart, data):
    series = data.series
    fills = _series_fills(series)
    y = draw_legend(canvas, _series_keys(series, fills, data.rows), 0, canvas.width)
    per_row = any(row.unit for row in data.rows)
    wide = canvas.width >= 600
    label_width = 230 if wide else canvas.width
    x0 = label_width + 14 if wide else 0
    plot_width = canvas.width - x0
    bar_block = len(series) * 19 - 5
    layout, cursor = [], y + 4
    for row in data.rows:
        unit = row.unit or chart.unit
        label = f"{row.label} ({unit})" if per_row and unit else row.label
        lines = wrap(label, label_width, STRONG, 4)
        label_height = len(lines) * line_height(STRONG)
        if row.is_own_estimate or row.year:
            label_height += line_height(SMALL)
        if wide:
            height = max(label_height, bar_block)
            bars_y = cursor
        else:
            height = label_height + 6 + bar_block
            bars_y = cursor + label_height + 6
        layout.append((row, lines, cursor, bars_y, unit))
        cursor += height + 18
    plot_bottom = cursor - 10
    if not per_row:
        scale = _scale(
            chart, [f.value for row in data.rows for f in row.values.values()]
        )
        value_room = 150 if wide else 96
        axis_height = _axis(
            canvas,
            x0,
            x0 + max(plot_width - value_room, 40),
            y,
            plot_bottom,
            scale,
            axis_label(chart),
        )
    else:
        axis_height = 0
    for row, lines, top, bars_y, unit in layout:
        used = canvas.lines(0, top + 12, lines, STRONG)
        meta = []
        if row.year:
            meta.append(str(row.year))
        if row.is_own_estimate:
            meta.append(OWN_ESTIMATE)
        if meta:
            canvas.text(0, top + 12 + used, " · ".join(meta), SMALL)
        if per_row:
            values = [f.value for f in row.values.values()]
            top_value = max([v for v in values if v is not None], default=0)
            scale = nice_max(top_value) if top_value else 1
        canvas.open("chart__group")
        _bars_for_row(
            canvas, chart, row, series, fills, x0, plot_width, bars_y, scale, unit
        )
        canvas.close()
    return plot_bottom + axis_height + 6


def draw_tiers(canvas, chart, data):
    """A stepped pyramid, the first row its top, each tier's bars beside it.

    Narrow, each band spans the width and its bars sit under it.
    """
    series = data.series
    fills = _series_fills(series)
    y = draw_legend(canvas, _series_keys(series, fills, data.rows), 0, canvas.width)
    scale = _scale(chart, [f.value for row in data.rows for f in row.values.values()])
    wide = canvas.width >= 600
    left = 250 if wide else canvas.width
    x0 = left + 16 if wide else 0
    plot_width = canvas.width - x0
    count = len(data.rows)
    bar_block = len(series) * 19 - 5
    cursor = y + 6
    for index, row in enumerate(data.rows):
        top_width = left * (0.45 + 0.55 * index / count)
        bottom_width = left * (0.45 + 0.55 * (index + 1) / count)
        lines = wrap(row.label, top_width - 16, STRONG, 4)
        band = max(
            56 if wide else 40, len(lines) * line_height(STRONG) + (20 if wide else 14)
        )
        if wide:
            band = max(band, bar_block + 16)
        cx = left / 2
        canvas.polygon(
            [
                (cx - top_width / 2, cursor),
                (cx + top_width / 2, cursor),
                (cx + bottom_width / 2, cursor + band),
                (cx - bottom_width / 2, cursor + band),
            ],
            f"chart__tier chart__tier--{index % 4 + 1}",
        )
        text_top = cursor + band / 2 - (len(lines) - 1) * line_height(STRONG) / 2 + 4
        canvas.lines(
            cx,
            text_top,
            lines,
            STRONG,
            anchor="middle",
            extra=f"chart__tier-text--{index % 4 + 1}",
        )
        bars_y = cursor + (band - bar_block) / 2 if wide else cursor + band + 10
        canvas.open("chart__group")
        _bars_for_row(
            canvas,
            chart,
            row,
            series,
            fills,
            x0,
            plot_width,
            bars_y,
            scale,
            row.unit or chart.unit,
        )
        canvas.close()
        cursor += band + 4 if wide else band + 10 + bar_block + 16
    cursor += _scale_note(canvas, x0, cursor, axis_label(chart))
    return cursor + 4


# Range timeline


def draw_ranges(canvas, chart, data):
    """Each row a bar from its 'from' to its 'to' on one axis.

    Wide, the figure follows the bar; narrow, it goes under the bar.
    """
    drawn = [row for row in data.rows if not row.low.is_missing]
    keys = side_keys(drawn) + own_key(drawn)
    y = draw_legend(canvas, keys, 0, canvas.width)
    wide = canvas.width >= 600
    label_width = 200 if wide else canvas.width
    x0 = label_width + 14 if wide else 0
    x1 = canvas.width - (170 if wide else 8)
    scale = _scale(chart, [row.high.value for row in data.rows])
    layout, cursor = [], y + 8
    for row in data.rows:
        lines = wrap(row.label, label_width, STRONG, 3)
        label_height = len(lines) * line_height(STRONG)
        if row.low.is_missing:
            value_lines = wrap(
                figure_text(row, row.low, chart.unit), x1 - x0 - 12, MISSING_TEXT, 3
            )
            bar_height = len(value_lines) * line_height(MISSING_TEXT) + 4
        else:
            value_lines = [figure_text(row, row.low, chart.unit)]
            if not row.shown:
                low = with_unit(row.low.value, row.unit or chart.unit)
                high = with_unit(row.high.value, row.unit or chart.unit)
                value_lines = [
                    low if low == high else f"{number(row.low.value)}–{high}"
                ]
            if row.is_own_estimate:
                value_lines.append(OWN_ESTIMATE)
            bar_height = 16
        if wide:
            height = max(label_height, bar_height + 14, 30)
            bar_y = cursor + (height - bar_height) / 2 - 2
        else:
            below = 0 if row.low.is_missing else 4 + 14 * len(value_lines)
            height = label_height + 6 + bar_height + below
            bar_y = cursor + label_height + 6
        layout.append((row, lines, cursor, bar_y, bar_height, value_lines))
        cursor += height + 14
    bottom = cursor - 6
    axis_height = _axis(canvas, x0, x1, y, bottom, scale, axis_label(chart))
    for row, lines, top, bar_y, bar_height, value_lines in layout:
        canvas.lines(0, top + 12, lines, STRONG)
        if row.low.is_missing:
            canvas.rect(x0, bar_y, x1 - x0, bar_height, "chart__placeholder")
            canvas.lines(x0 + 6, bar_y + 13, value_lines, MISSING_TEXT)
            continue
        start = x0 + (x1 - x0) * row.low.value / scale
        end = x0 + (x1 - x0) * row.high.value / scale
        own = " chart__mark--own" if row.is_own_estimate else ""
        fill = side_fill(row.side) + own
        canvas.open("chart__grow-x")
        if end - start < 3:
            canvas.rect(start, bar_y, 3, 16, fill)
            end = start + 3
        else:
            canvas.rect(start, bar_y, end - start, 16, fill, rx=8)
        canvas.close()
        if wide:
            x, first = end + 8, bar_y + 12
        else:
            widest = max(text_width(text, VALUE) for text in value_lines)
            x, first = max(0, min(start, canvas.width - widest)), bar_y + 32
        canvas.text(x, first, value_lines[0], VALUE)
        if len(value_lines) > 1:
            canvas.text(x, first + 14, value_lines[1], SMALL)
    return bottom + axis_height + 6


# Heatmap


def _heat_level(value, top):
    if value is None:
        return None
    if isinstance(value, str):
        return SCALE.index(value)
    if value <= 0 or not top:
        return 0
    return min(4, 1 + int(3.999 * value / top))


def draw_heatmap(canvas, chart, data):
    numbers = [
        f.value
        for row in data.rows
        for f in row.values.values()
        if isinstance(f, Figure) and f.value is not None
    ]
    words = any(isinstance(f, str) for row in data.rows for f in row.values.values())
    top = max(numbers, default=0)
    if words:
        keys = [Key(word, f"chart__heat--{i}") for i, word in enumerate(SCALE)]
    else:
        unit = f" {chart.unit}" if chart.unit and chart.unit != "%" else chart.unit
        keys = [Key(f"0{unit}", "chart__heat--0")]
        if top:
            keys.append(Key(f"up to {number(top)}{unit}", "chart__heat--4"))
    keys.append(Key(NO_FIGURE, "chart__heat--missing", "dashed"))
    own = any(row.is_own_estimate for row in data.rows)
    if own:
        keys.append(
            Key(f"Dashed outline: the {OWN_ESTIMATE}", "chart__heat--2", "outlined")
        )
    y = draw_legend(canvas, keys, 0, canvas.width, title="Shading:")
    y += 4
    # Narrow, each row's label goes above its cells, which take the width.
    wide = canvas.width >= 600
    label_width = 210 if wide else 0
    columns = data.series
    cell_width = (canvas.width - label_width) / max(len(columns), 1)
    header_lines = [wrap(column.name, cell_width - 8, STRONG, 5) for column in columns]
    header_height = max(
        (len(lines) for lines in header_lines), default=1
    ) * line_height(STRONG)
    for index, lines in enumerate(header_lines):
        cx = label_width + cell_width * (index + 0.5)
        start = y + header_height - (len(lines) - 1) * line_height(STRONG) - 4
        canvas.lines(cx, start, lines, STRONG, anchor="middle")
    cursor = y + header_height + 6
    for row in data.rows:
        if wide:
            lines = wrap(row.label, label_width - 10, STRONG, 4)
            height = max(44, len(lines) * line_height(STRONG) + 14)
            middle = cursor + height / 2 - (len(lines) - 1) * line_height(STRONG) / 2
            canvas.lines(0, middle + 4, lines, STRONG)
        else:
            lines = wrap(row.label, canvas.width, STRONG, 3)
            cursor += canvas.lines(0, cursor + 18, lines, STRONG) + 6
            height = 44
        for index, column in enumerate(columns):
            value = row.values[column.key]
            x = label_width + cell_width * index
            cx = x + cell_width / 2
            if isinstance(value, Figure) and value.is_missing:
                canvas.rect(
                    x + 2,
                    cursor + 2,
                    cell_width - 4,
                    height - 4,
                    "chart__heat--missing",
                    rx=3,
                )
                label_lines = wrap(value.missing_label, cell_width - 10, SMALL, 2)
                start = (
                    cursor
                    + height / 2
                    - (len(label_lines) - 1) * line_height(SMALL) / 2
                    + 4
                )
                canvas.lines(cx, start, label_lines, SMALL, anchor="middle")
                continue
            raw = value if isinstance(value, str) else value.value
            level = _heat_level(raw, top)
            canvas.open("chart__cell")
            canvas.rect(
                x + 2,
                cursor + 2,
                cell_width - 4,
                height - 4,
                f"chart__heat--{level}",
                rx=3,
            )
            if row.is_own_estimate:
                # Outlined over its shading, which must stay true to its level.
                canvas.rect(
                    x + 3.5,
                    cursor + 3.5,
                    cell_width - 7,
                    height - 7,
                    "chart__outline",
                    rx=2,
                )
            canvas.close()
            text = (
                raw if isinstance(raw, str) else with_unit(raw, row.unit or chart.unit)
            )
            on = " chart__value--on-strong" if level >= 3 else " chart__value--on-weak"
            canvas.text(
                cx, cursor + height / 2 + 5, text, VALUE, anchor="middle", extra=on
            )
        cursor += height
    if own:
        canvas.text(0, cursor + 16, f"Shading is the {OWN_ESTIMATE}.", SMALL)
        cursor += 20
    return cursor + 6


# Flow between nodes


@dataclass
class _Node:
    row: object
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    title: list = field(default_factory=list)  # (text, style) lines
    blocks: list = field(default_factory=list)  # one list of lines per detail
    across: int = 1  # detail blocks side by side
    tail: list = field(default_factory=list)  # the note, then written links
    badge_inline: bool = False


def _link_text(row, unit):
    if row.value is None:
        return ""
    text = figure_text(row, row.value, unit)
    if row.is_own_estimate and not row.value.is_missing:
        text += f" ({OWN_ESTIMATE})"
    return text


def capfirst(text):
    return text[:1].upper() + text[1:]


def _labelled(name, value, width):
    """Lines of "Name: value", the name in bold, as (spans, style) pairs."""
    label = f"{capfirst(name)}: "
    extra = text_width(label, LABEL) - text_width(label, SMALL)
    lines = wrap(label + value, width - extra, SMALL)
    first = lines[0]
    spans = [(label.rstrip(), LABEL)]
    if len(first) > len(label):
        spans = [(label, LABEL), (first[len(label) :], SMALL)]
    return [(spans, SMALL), *((line, SMALL) for line in lines[1:])]


BADGE_HEIGHT = 22
NODE_PAD = 28  # the level bar and margin on the left, a margin on the right
COLUMN_GAP = 18
# A box this wide sets its details side by side and its badge by its name.
WIDE_BOX = 520
BADGE_BY_NAME = 400


def _badge_width(level):
    return text_width(level.upper(), LEVEL) + 14


def _node(row, width, links=()):
    """A box ``width`` wide for ``row``, its lines laid out and measured."""
    node = _Node(row, width=width)
    inner = width - NODE_PAD
    node.badge_inline = bool(row.level) and width >= BADGE_BY_NAME
    title_width = inner - (_badge_width(row.level) + 12 if node.badge_inline else 0)
    node.title = [(line, STRONG) for line in wrap(row.label, title_width, STRONG)]
    if width >= WIDE_BOX and len(row.details) > 1:
        node.across = min(len(row.details), 3)
    block_width = (inner - COLUMN_GAP * (node.across - 1)) / node.across
    node.blocks = [_labelled(name, value, block_width) for name, value in row.details]
    if row.note:
        node.tail += [(line, SMALL) for line in wrap(capfirst(row.note), inner, SMALL)]
    for target, text in links:
        words = f"→ {target}" + (f": {text}" if text else "")
        node.tail += [(line, BODY) for line in wrap(words, inner, BODY)]
    node.height = 14 + _lines_height(node.title) + 9
    for start in range(0, len(node.blocks), node.across):
        line = node.blocks[start : start + node.across]
        node.height += max(_lines_height(block) for block in line)
    node.height += _lines_height(node.tail)
    if row.level and not node.badge_inline:
        node.height += BADGE_HEIGHT
    return node


def _lines_height(lines):
    return sum(line_height(style) for _, style in lines)


def _flow_legend(canvas, data):
    rows = data.rows
    y = 0
    if data.level_column is not None and any(row.level for row in rows):
        keys = [Key(level, f"chart__level--{level}") for level in LEVELS]
        y += draw_legend(
            canvas, keys, y, canvas.width, title=f"{capfirst(data.level_column.name)}:"
        )
    keys = [key for key in side_keys(rows) if key.label != "Other"]
    if any(row.value is not None and row.value.is_missing for row in rows):
        keys.append(
            Key(
                "Dashed link: no public figure",
                "chart__link chart__link--unknown",
                "line",
            )
        )
    if keys:
        y += draw_legend(canvas, keys, y, canvas.width)
    return y


def _draw_node(canvas, node):
    row = node.row
    canvas.open("chart__node")
    level = f" chart__level--{row.level}" if row.level else ""
    canvas.rect(node.x, node.y, node.width, node.height, f"chart__box{level}", rx=5)
    if row.side:
        canvas.rect(node.x, node.y, node.width, 4, side_fill(row.side), rx=2)
    if row.level:
        canvas.rect(
            node.x,
            node.y,
            6,
            node.height,
            f"chart__level-bar chart__level--{row.level}",
            rx=2,
        )
    left = node.x + 16
    cursor = node.y + 19
    for text, style in node.title:
        canvas.text(left, cursor, text, style)
        cursor += line_height(style)
    inner = node.width - NODE_PAD
    block_width = (inner - COLUMN_GAP * (node.across - 1)) / node.across
    for start in range(0, len(node.blocks), node.across):
        line = node.blocks[start : start + node.across]
        for index, block in enumerate(line):
            y = cursor
            for text, style in block:
                canvas.text(left + index * (block_width + COLUMN_GAP), y, text, style)
                y += line_height(style)
        cursor += max(_lines_height(block) for block in line)
    for text, style in node.tail:
        canvas.text(left, cursor, text, style)
        cursor += line_height(style)
    if row.level:
        word = row.level.upper()
        width = _badge_width(row.level)
        if node.badge_inline:
            bx, top = node.x + node.width - 12 - width, node.y + 8
        else:
            bx, top = left, node.y + node.height - BADGE_HEIGHT - 4
        canvas.rect(bx, top, width, 17, f"chart__level--{row.level}", rx=8)
        canvas.text(
            bx + 7,
            top + 12.5,
            word,
            LEVEL,
            extra=f"chart__level-text--{row.level}",
        )
    canvas.close()


LABEL_ROOM = 150


def _label_box(row, unit, room=LABEL_ROOM):
    """The lines of a link's figure and the size of the box around them."""
    lines = wrap(_link_text(row, unit), room, VALUE, 3)
    width = max(text_width(line, VALUE) for line in lines) + 10
    return lines, width, len(lines) * line_height(VALUE) + 4


def _link_label(canvas, row, unit, x, y, room, anchor="middle"):
    """Write a link's figure at (x, y); a link with no figure is dashed."""
    if row.value is None or row.value.is_missing:
        return
    lines, width, height = _label_box(row, unit, room)
    top = y - height / 2 + 2
    left = x - width / 2 if anchor == "middle" else x - 5
    canvas.rect(left, top - 2, width, height, "chart__link-label", rx=3)
    canvas.lines(x, top + 12, lines, VALUE, anchor=anchor)


# Stroke widths of the link classes, as the stylesheet draws them.
LINK_WIDTHS = {"": 2, "w1": 3, "w2": 5, "w3": 7, "w4": 9, "w5": 12}


def _link_class(row, rows, unit):
    units = {r.unit or unit for r in rows if r.value and not r.value.is_missing}
    values = [r.value.value for r in rows if r.value and not r.value.is_missing]
    top = max(values, default=0)
    if row.value is not None and row.value.is_missing:
        return "chart__link chart__link--unknown", LINK_WIDTHS[""]
    if row.value is not None and len(units) == 1 and top:
        weight = f"w{1 + int(4.999 * row.value.value / top)}"
        return f"chart__link chart__link--{weight}", LINK_WIDTHS[weight]
    return "chart__link", LINK_WIDTHS[""]


def _arrow_length(stroke):
    return 9 + stroke


def _draw_link(canvas, points, tip, cls, stroke):
    """A link along the cubic curve ``points``, its head ending at ``tip``."""
    start, *rest = points
    d = f"M{_n(start[0])},{_n(start[1])}"
    for index in range(0, len(rest) - 2, 3):
        d += " C" + " ".join(f"{_n(x)},{_n(y)}" for x, y in rest[index : index + 3])
    canvas.path(d, cls)
    base = points[-1]
    dx, dy = tip[0] - base[0], tip[1] - base[1]
    length = math.hypot(dx, dy) or 1.0
    half = max(4.5, stroke * 0.8 + 2)
    px, py = -dy / length * half, dx / length * half
    canvas.polygon(
        [tip, (base[0] + px, base[1] + py), (base[0] - px, base[1] - py)],
        "chart__arrowhead",
    )


def _longest_path(rows):
    """How many boxes the longest run of links passes through."""
    by_name = {row.label.casefold(): row for row in rows}
    depth = {}

    def depth_of(row):
        key = row.label.casefold()
        if key not in depth:
            depth[key] = 0  # The tables reader refuses circles; stop one anyway.
            depth[key] = 1 + max(
                (depth_of(by_name[t.casefold()]) for t in row.targets), default=0
            )
        return depth[key]

    return max((depth_of(row) for row in rows), default=0)


# Box widths tried, widest first, when the flow runs left to right.
ACROSS_WIDTHS = (210, 180, 160, 140)
MIN_BOX = 150
RANK_GAP, NODE_GAP = 26, 18


def draw_flow(canvas, chart, data):
    """Boxes placed and links routed by Graphviz, drawn in the site's style.

    The flow runs left to right where it fits the width, else top to
    bottom; where neither fits (a phone, many boxes side by side), the boxes
    form one list in the order of the flow.
    """
    y = _flow_legend(canvas, data) + 6
    rows = data.rows
    links = [(row, target) for row in rows for target in row.targets]
    depth = _longest_path(rows)
    for width in ACROSS_WIDTHS:
        if depth * width + (depth - 1) * RANK_GAP > canvas.width:
            continue
        placed = _place(canvas, chart, data, links, width, "LR")
        if placed[2].width <= canvas.width:
            return _flow_placed(canvas, chart, data, links, y, *placed)
    width = canvas.width
    while width >= MIN_BOX:
        placed = _place(canvas, chart, data, links, width, "TB")
        if placed[2].width <= canvas.width:
            return _flow_placed(canvas, chart, data, links, y, *placed)
        # As many boxes as the widest rank holds, side by side.
        across = Counter(round(cy) for _, cy in placed[2].centres).most_common(1)
        count = max(across[0][1], 2)
        narrower = (canvas.width - NODE_GAP * (count - 1)) / count
        width = min(narrower, width - 1)
    return _flow_list(canvas, chart, data, y)


def _place(canvas, chart, data, links, width, direction):
    nodes = {row.label.casefold(): _node(row, width) for row in data.rows}
    index = {key: number for number, key in enumerate(nodes)}
    boxes = [layout.Box(node.width, node.height) for node in nodes.values()]
    wanted = []
    for row, target in links:
        label = None
        if row.value is not None and not row.value.is_missing:
            _, label_width, label_height = _label_box(row, chart.unit)
            label = (label_width + 8, label_height + 4)
        _, stroke = _link_class(row, data.rows, chart.unit)
        wanted.append(
            layout.Link(
                index[row.label.casefold()],
                index[target.casefold()],
                label=label,
                arrow=_arrow_length(stroke),
            )
        )
    reached = {target.casefold() for _, target in links}
    first = [index[key] for key in nodes if key not in reached]
    placement = layout.place(
        boxes,
        wanted,
        direction=direction,
        node_gap=NODE_GAP,
        rank_gap=RANK_GAP,
        first=first,
    )
    return list(nodes.values()), boxes, placement


def _flow_placed(canvas, chart, data, links, y, nodes, boxes, placement):
    x0 = (canvas.width - placement.width) / 2
    for node, (cx, cy) in zip(nodes, placement.centres, strict=True):
        node.x, node.y = x0 + cx - node.width / 2, y + cy - node.height / 2
    canvas.open("chart__links")
    for (row, _), placed in zip(links, placement.links, strict=True):
        cls, stroke = _link_class(row, data.rows, chart.unit)
        points = [(x0 + px, y + py) for px, py in placed.curve]
        tip = (x0 + placed.tip[0], y + placed.tip[1])
        _draw_link(canvas, points, tip, cls, stroke)
    canvas.close()
    for node in nodes:
        _draw_node(canvas, node)
    for (row, _), placed in zip(links, placement.links, strict=True):
        if placed.label is not None:
            x, ly = x0 + placed.label[0], y + placed.label[1]
            _link_label(canvas, row, chart.unit, x, ly, LABEL_ROOM)
    return y + placement.height + 8


def _flow_list(canvas, chart, data, y):
    """The boxes one under another in the order of the flow: a link to the
    box just below is an arrow, any other is written inside the box."""
    ordered = _flow_order(data.rows)
    nodes = {}
    gap, arrow_gap = 14, 34
    cursor = y
    arrows = []
    for index, row in enumerate(ordered):
        below = ordered[index + 1] if index + 1 < len(ordered) else None
        links = []
        for name in row.targets:
            is_below = below is not None and name.casefold() == below.label.casefold()
            if is_below and len(row.targets) == 1:
                arrows.append((row, below))
                continue
            target = next(r for r in ordered if r.label.casefold() == name.casefold())
            links.append((target.label, _link_text(row, chart.unit)))
        node = _node(row, canvas.width, links)
        node.y = cursor
        nodes[row.label.casefold()] = node
        arrow_below = any(source is row for source, _ in arrows)
        cursor += node.height + (arrow_gap if arrow_below else gap)
    canvas.open("chart__links")
    for source, target in arrows:
        top = nodes[source.label.casefold()]
        bottom = nodes[target.label.casefold()]
        cls, stroke = _link_class(source, data.rows, chart.unit)
        start, tip = (34, top.y + top.height), (34, bottom.y - 2)
        base = (34, tip[1] - _arrow_length(stroke))
        _draw_link(canvas, [start, start, base, base], tip, cls, stroke)
    canvas.close()
    for node in nodes.values():
        _draw_node(canvas, node)
    for source, target in arrows:
        if source.value is not None:
            top = nodes[source.label.casefold()]
            mid = (top.y + top.height + nodes[target.label.casefold()].y) / 2 + 4
            _link_label(canvas, source, chart.unit, 46, mid, canvas.width - 60, "start")
    last = nodes[ordered[-1].label.casefold()] if ordered else None
    return (last.y + last.height if last else y) + 8


def _flow_order(rows):
    """The rows sorted so that every link runs down the list; rows that the
    flow leaves in any order keep the table's."""
    by_name = {row.label.casefold(): row for row in rows}
    incoming = Counter(t.casefold() for row in rows for t in row.targets)
    ready = [row for row in rows if not incoming[row.label.casefold()]]
    ordered = []
    while ready:
        row = ready.pop(0)
        ordered.append(row)
        for target in row.targets:
            key = target.casefold()
            incoming[key] -= 1
            if not incoming[key]:
                ready.append(by_name[key])
        ready.sort(key=rows.index)
    # A circle, which the tables reader refuses, would leave rows out.
    return ordered + [row for row in rows if row not in ordered]


# Bulletin list


def draw_bulletin(canvas, chart, data):
    keys = side_keys(data.rows)
    y = draw_legend(canvas, keys, 0, canvas.width, title="Stripe:" if keys else "")

    wide = canvas.width >= 600
    across = 2 if wide else 1
    gap = 16
    width = (canvas.width - gap * (across - 1)) / across
    inner = width - 28
    cards = []
    for row in data.rows:
        parts = []
        meta = " · ".join(
            part
            for part in (
                row.tag,
                row.date or (str(row.year) if row.year else ""),
                SIDE_NAMES.get(row.side, ""),
            )
            if part
        )
        if meta:
            parts.append(([meta.upper()], CARD_TAG))
        parts.append((wrap(row.label, inner, STRONG), STRONG))
        if row.text:
            parts.append((wrap(row.text, inner, BODY), BODY))
        if row.source:
            parts.append((wrap(f"Source: {row.source}", inner, SMALL), SMALL))
        height = 22 + sum(len(lines) * line_height(style) + 4 for lines, style in parts)
        cards.append((row, parts, height))
    cursor = y + 4
    for start in range(0, len(cards), across):
        line = cards[start : start + across]
        height = max(card[2] for card in line)
        for index, (row, parts, _) in enumerate(line):
            x = index * (width + gap)
            canvas.open("chart__card")
            canvas.rect(x, cursor, width, height, "chart__card-box", rx=4)
            canvas.rect(
                x,
                cursor,
                width,
                4,
                side_fill(row.side),
                rx=2,
            )
            text_y = cursor + 24
            for lines, style in parts:
                canvas.lines(x + 14, text_y, lines, style)
                text_y += len(lines) * line_height(style) + 4
            canvas.close()
        cursor += height + gap
    return cursor - gap + 4


DRAW = {
    Kind.RANKED: draw_ranked,
    Kind.STACK: draw_stack,
    Kind.GROUPED: draw_grouped,
    Kind.RANGES: draw_ranges,
    Kind.HEATMAP: draw_heatmap,
    Kind.FLOW: draw_flow,
    Kind.TIERS: draw_tiers,
    Kind.BULLETIN: draw_bulletin,
}


# Words for screen readers


def describe(chart, data):
    """Say in sentences what the drawing shows."""
    kind = Kind(data.kind)
    if data.is_empty:
        return f"{kind.label}: no figures yet."
    parts = []
    if data.kind in (Kind.RANKED, Kind.STACK):
        for group in data.groups:
            rows = [row for row in data.rows if row.group == group]
            items = [
                f"{rank}. {row.label} {figure_text(row, row.value, chart.unit)}"
                for rank, row in _ranks(rows)
            ]
            items += [
                f"{row.label}: {row.value.missing_label}"
                for row in rows
                if row.value.is_missing
            ]
            prefix = f"{group}: " if group else ""
            parts.append(prefix + "; ".join(items) + ".")
    elif data.kind in (Kind.GROUPED, Kind.TIERS, Kind.HEATMAP):
        for row in data.rows:
            items = []
            for column in data.series:
                value = row.values[column.key]
                if isinstance(value, str):
                    text = value
                else:
                    text = figure_text(row, value, row.unit or chart.unit)
                items.append(f"{column.name} {text}")
            parts.append(f"{row.label}: {', '.join(items)}.")
    elif data.kind == Kind.RANGES:
        for row in data.rows:
            text = figure_text(row, row.low, chart.unit)
            if not row.low.is_missing and not row.shown:
                high = with_unit(row.high.value, row.unit or chart.unit)
                text = f"{number(row.low.value)} to {high}"
            own = f" ({OWN_ESTIMATE})" if row.is_own_estimate else ""
            parts.append(f"{row.label}: {text}{own}.")
    elif data.kind == Kind.FLOW:
        for row in data.rows:
            sentence = row.label
            if row.level:
                sentence += f" ({data.level_column.name}: {row.level})"
            if row.targets:
                sentence += " flows into " + " and ".join(row.targets)
                if row.value is not None:
                    sentence += f" ({figure_text(row, row.value, chart.unit)})"
            parts.append(sentence + ".")
    elif data.kind == Kind.BULLETIN:
        parts = [f"{row.label}." for row in data.rows]
    return f"{kind.label}. " + " ".join(parts)


UNAVAILABLE = mark_safe(
    '<p class="chart__unavailable">This diagram cannot be drawn just now. '
    "Every figure in it is in the table below.</p>"
)


def draw(chart, data, ident):
    """Return the chart's wide and narrow SVG and its description."""
    desc = describe(chart, data)
    out = {}
    for name, width in (("wide", WIDE), ("narrow", NARROW)):
        canvas = Canvas(width, f"{ident}-{name}")
        if data.is_empty:
            height = _empty(canvas)
        else:
            try:
                height = DRAW[Kind(data.kind)](canvas, chart, data)
            except layout.LayoutUnavailable:
                return Drawing(UNAVAILABLE, "", desc, is_unavailable=True)
        out[name] = canvas.svg(
            height,
            chart.title,
            desc,
            f"chart__svg chart__svg--{name} chart__svg--{data.kind}",
        )
    return Drawing(out["wide"], out["narrow"], desc)
