"""Scores over time: each layer's history and the changes across the stack.

A layer's history is built from scores already fetched for its page, so it
costs no query. The chart is drawn in percentages of the plot area rather
than in a scaled viewBox: the SVG stretches to any width while its text and
markers keep their size.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import Lag
from django.utils.formats import date_format

from .models import SCORE_MAX, Score, Side

# The scale's gridlines, every two points from 0 to 10.
GRID_VALUES = tuple(range(0, int(SCORE_MAX) + 1, 2))
# End labels of scores closer than this would overlap, so they move apart.
LABEL_CLEARANCE = Decimal("0.9")
LABEL_NUDGE = 8
# The layer page's table lists this many assessments, newest first; the
# rest are a link away, on the score changes page.
TABLE_ROWS = 20
# Above this many assessments per side, the chart draws the steps without a
# dot on each one, which would merge into a thick line anyway.
MAX_POINTS = 60
# A year label this close (in percent) to either edge would run into the
# first or last date.
EDGE_MARGIN = 22


def score_changes():
    """Every score with the value it replaced (``previous_value``), newest first.

    The previous value comes from a window function, so a page of changes
    costs one query however long the history is.
    """
    return (
        Score.objects.select_related("layer")
        .annotate(
            previous_value=Window(
                Lag("value"),
                partition_by=[F("layer_id"), F("side")],
                order_by=[F("as_of").asc(), F("pk").asc()],
            )
        )
        .order_by("-as_of", "-pk")
    )


@dataclass
class Series:
    """One side's scores, oldest first, with the chart's geometry."""

    side: str
    label: str
    scores: list
    segments: list = field(default_factory=list)
    points: list = field(default_factory=list)
    label_y: str = ""
    label_dy: int = 0

    @property
    def current(self):
        return self.scores[-1]

    @property
    def path(self):
        """The step line as one SVG path, in a 100 × 100 box."""
        commands, at = [], None
        for x1, y1, x2, y2 in self.segments:
            start, end = (_number(x1), _number(y1)), (_number(x2), _number(y2))
            if start != at:
                commands.append(f"M{start[0]} {start[1]}")
            commands.append(f"L{end[0]} {end[1]}")
            at = end
        return "".join(commands)


@dataclass
class History:
    series: list
    rows: list
    count: int
    start: datetime.date
    end: datetime.date
    end_is_today: bool
    ticks: list
    years: list
    grid: list

    @property
    def has_changes(self):
        return any(len(series.scores) > 1 for series in self.series)

    @property
    def has_more(self):
        return self.count > len(self.rows)


def score_history(scores, today, historical=False):
    """Chart and table rows for a layer's scores, or None if it has none.

    ``scores`` may come in any order; each gets ``previous_value``, the score
    its side had before it (None for the first). The chart runs from the
    first assessment to ``today``, so the last step shows how long the
    current score has stood. For a page of the past, ``today`` is the day
    viewed and ``historical`` keeps the chart from calling it "Today".
    """
    scores = sorted(scores, key=lambda score: (score.as_of, score.pk))
    if not scores:
        return None
    start = scores[0].as_of
    end = max(scores[-1].as_of, today)
    span = (end - start).days or 1

    def x(day):
        return _percent((day - start).days / span * 100)

    series = []
    for side in (Side.US, Side.CHINA):
        own = [score for score in scores if score.side == side]
        previous = None
        for score in own:
            score.previous_value = previous
            previous = score.value
        if own:
            series.append(_draw(Series(side.value, side.label, own), x, end))
    _separate_labels(series)

    end_is_today = not historical and end == today and end != scores[-1].as_of
    ticks = [{"x": "0%", "text": _day(start), "anchor": "start"}]
    if end != start:
        text = "Today" if end_is_today else _day(end)
        ticks.append({"x": "100%", "text": text, "anchor": "end"})
    years = []
    for year in range(start.year + 1, end.year + 1):
        share = (datetime.date(year, 1, 1) - start).days / span * 100
        if 0 < share < 100:
            clear = EDGE_MARGIN < share < 100 - EDGE_MARGIN
            years.append({"x": _percent(share), "text": str(year) if clear else ""})

    return History(
        series=series,
        rows=scores[::-1][:TABLE_ROWS],
        count=len(scores),
        start=start,
        end=end,
        end_is_today=end_is_today,
        ticks=ticks,
        years=years,
        grid=[{"value": value, "y": _y(value)} for value in GRID_VALUES],
    )


def _draw(series, x, end):
    """Lay out a step line: flat until the next assessment, then a riser."""
    scores = series.scores
    for score, following in zip(scores, scores[1:] + [None], strict=True):
        x1, y1 = x(score.as_of), _y(score.value)
        if len(scores) <= MAX_POINTS:
            series.points.append({"x": x1, "y": y1, "score": score})
        x2 = x(following.as_of if following else end)
        if x2 != x1:
            series.segments.append((x1, y1, x2, y1))
        if following and following.value != score.value:
            series.segments.append((x2, y1, x2, _y(following.value)))
    series.label_y = _y(series.current.value)
    return series


def _separate_labels(series):
    """Move the two end labels apart when the current scores are close."""
    if len(series) != 2:
        return
    upper, lower = sorted(series, key=lambda s: s.current.value, reverse=True)
    if upper.current.value - lower.current.value < LABEL_CLEARANCE:
        upper.label_dy, lower.label_dy = -LABEL_NUDGE, LABEL_NUDGE


def _day(day):
    return date_format(day, "j M Y")


def _y(value):
    return _percent((SCORE_MAX - Decimal(value)) / SCORE_MAX * 100)


def _number(percent):
    return percent.removesuffix("%")


def _percent(share):
    return f"{round(float(share), 2):g}%"
