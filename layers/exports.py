"""The tracker's public data as CSV, JSON and a zip of both, built row by row.

Each dataset names its columns once; the /data/ page, the zip's README.txt
and the files themselves all read them from here. Rows come from
``queryset.iterator()``, and the files are generators of text, so an export
of any size is streamed rather than built in memory.

Only what readers can see goes out: published developments (as of the end
of ``as_of``, when given), scores dated on or before ``as_of``, and never a
layer's internal notes.
"""

import csv
import datetime
import json
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, Prefetch, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from . import asof
from .models import Layer, Metric, MetricValue, Score, Side

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# Rows fetched from the database at a time, and written to the client at a time.
CHUNK_SIZE = 500
ROWS_PER_WRITE = 100
# Excel reads a CSV file as UTF-8 only when it starts with a byte order mark.
BOM = "\ufeff"
LIST_SEPARATOR = ";"
ZIP_NAME = "tracker-data.zip"


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class Options:
    """What an export covers: one layer or all, now or the end of a past day."""

    layer: Layer | None = None
    as_of: datetime.date | None = None
    # Prefix for the links in the rows, e.g. "https://tracker.example.org".
    base_url: str = ""

    @property
    def suffix(self):
        """The part of a file name that says what the file covers."""
        parts = [self.layer.slug] if self.layer else []
        if self.as_of:
            parts.append(self.as_of.isoformat())
        return "".join(f"-{part}" for part in parts)


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: str
    description: str
    columns: tuple
    builder: object = field(repr=False)

    def rows(self, options):
        """Each row as a dict of JSON-ready values, in column order."""
        return self.builder(options)

    def filename(self, extension, options):
        return f"ai-stack-tracker-{self.slug}{options.suffix}.{extension}"


# Querysets shared with the API: what is public, as of when.


def site_url(request):
    """The site's address for links in the data: SITE_URL, or as requested."""
    configured = getattr(settings, "SITE_URL", "")
    return (configured or request.build_absolute_uri("/")).rstrip("/")


def public_developments(as_of=None):
    """Developments readers could see at the end of ``as_of`` (now for None)."""
    return asof.developments_on(as_of)


def score_queryset(as_of=None, layer=None, whole_history=False):
    """Scores dated on or before ``as_of``, with their public developments.

    Each score gets ``public_developments``, a list, and ``previous_value``.
    ``whole_history`` promises that no other filter will be added, so the
    previous values can come from a window function.
    """
    scores = asof.scores_on(
        as_of, Score.objects.with_previous_value(window=whole_history)
    )
    if layer is not None:
        scores = scores.filter(layer=layer)
    return scores.select_related("layer").prefetch_related(linked_developments(as_of))


def linked_developments(as_of=None):
    """Prefetch a score's public developments into ``public_developments``."""
    return Prefetch(
        "developments",
        queryset=public_developments(as_of)
        .select_related("layer")
        .order_by("published_at", "pk"),
        to_attr="public_developments",
    )


def current_score_queryset(as_of=None, layer=None):
    """Each layer's current score for each side, in stack order, US first."""
    return (
        score_queryset(as_of, layer)
        .current(as_of)
        .order_by("layer__position", _side_order(), "pk")
    )


def history_queryset(as_of=None, layer=None):
    """Every score, layer by layer and side by side, oldest first."""
    return score_queryset(as_of, layer, whole_history=True).order_by(
        "layer__position", _side_order(), "as_of", "pk"
    )


def development_queryset(as_of=None, layer=None):
    """Published developments, newest first, each with its scores' ids."""
    developments = public_developments(as_of)
    if layer is not None:
        developments = developments.filter(layer=layer)
    return (
        developments.select_related("layer")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=asof.scores_on(as_of).order_by("as_of", "pk").only("pk"),
                to_attr="public_scores",
            )
        )
        .newest_first()
    )


def metric_queryset(layer=None):
    metrics = Metric.objects.select_related("layer").prefetch_related(
        Prefetch("values", queryset=MetricValue.objects.order_by(_side_order()))
    )
    if layer is not None:
        metrics = metrics.filter(layer=layer)
    return metrics.order_by("layer__position", "position", "pk")


def layer_queryset(layer=None):
    layers = Layer.objects.prefetch_related(
        Prefetch("related", queryset=Layer.objects.order_by("position"))
    )
    if layer is not None:
        layers = layers.filter(pk=layer.pk)
    return layers.order_by("position")


def _side_order():
    return Case(When(side=Side.US, then=Value(0)), default=Value(1))


# Rows: one dict per row, its values ready for json.dumps().


def score_number(value):
    """A score as a float with one decimal; SQLite may hand back 4 for 4.0."""
    return None if value is None else round(float(value), 1)


def _url(options, path):
    return f"{options.base_url}{path}"


def score_row(score):
    return {
        "id": score.pk,
        "layer": score.layer.slug,
        "layer_name": score.layer.name,
        "side": score.side,
        "side_label": score.get_side_display(),
        "score": score_number(score.value),
        "previous_score": score_number(score.previous_value),
        "as_of": score.as_of.isoformat(),
        "confidence": score.confidence,
        "review_due": score.review_due.isoformat(),
        "rationale": score.rationale,
        "source": score.source,
        "development_ids": [d.pk for d in score.public_developments],
    }


def _scores(options):
    for score in current_score_queryset(options.as_of, options.layer).iterator(
        chunk_size=CHUNK_SIZE
    ):
        yield score_row(score)


def _history(options):
    for score in history_queryset(options.as_of, options.layer).iterator(
        chunk_size=CHUNK_SIZE
    ):
        yield score_row(score)


def _metrics(options):
    for metric in metric_queryset(options.layer).iterator(chunk_size=CHUNK_SIZE):
        common = {
            "layer": metric.layer.slug,
            "layer_name": metric.layer.name,
            "metric": metric.name,
            "metric_key": metric.key,
            "formula": metric.formula,
        }
        values = metric.values.all() or [None]
        for value in values:
            yield common | figure_row(value)


def figure_row(value):
    if value is None:
        names = ("side", "low", "high", "text", "unit", "year", "confidence")
        return dict.fromkeys(names) | {"source": "", "note": ""}
    return {
        "side": value.side,
        "low": value.low,
        "high": value.high,
        "text": value.text,
        "unit": value.unit,
        "year": value.year,
        "confidence": value.confidence,
        "source": value.source,
        "note": value.note,
    }


def _developments(options):
    for development in development_queryset(options.as_of, options.layer).iterator(
        chunk_size=CHUNK_SIZE
    ):
        yield development_row(development, options)


def development_row(development, options):
    """A development from development_queryset() as a row."""
    return {
        "id": development.pk,
        "layer": development.layer.slug,
        "layer_name": development.layer.name,
        "title": development.title,
        "category": development.category,
        "published_at": development.published_at.astimezone(datetime.UTC).isoformat(),
        "date_is_known": development.date_is_known,
        "url": _url(options, development.get_absolute_url()),
        "body": development.body,
        "source": development.source,
        "source_url": development.source_url,
        "score_ids": [score.pk for score in development.public_scores],
    }


def _layers(options):
    for layer in layer_queryset(options.layer).iterator(chunk_size=CHUNK_SIZE):
        yield {
            "layer": layer.slug,
            "name": layer.name,
            "position": layer.position,
            "summary": layer.summary,
            "measure": layer.measure,
            "url": _url(options, layer.get_absolute_url()),
            "related": [other.slug for other in layer.related.all()],
        }


LAYER = Column("layer", "The layer's slug, as in its address: /layer/<slug>/.")
LAYER_NAME = Column("layer_name", "The layer's name.")
SCORE_COLUMNS = (
    Column("id", "The score's number; development_ids link to it."),
    LAYER,
    LAYER_NAME,
    Column("side", "us (the United States and its allies) or china."),
    Column("side_label", "The side as the site names it."),
    Column("score", "The score, 0 to 10 in steps of 0.1."),
    Column(
        "previous_score",
        "The side's score before this one on this layer; empty for the first.",
    ),
    Column("as_of", "The date the score applies from (YYYY-MM-DD)."),
    Column("confidence", "How sure the tracker is of the score: low, medium, high."),
    Column("review_due", "When the score is due for another look (YYYY-MM-DD)."),
    Column("rationale", "Why the score is what it is, in Markdown."),
    Column("source", "Where the evidence comes from."),
    Column(
        "development_ids",
        "The published developments that moved the score (their id in "
        "developments), separated by semicolons.",
    ),
)

DATASETS = (
    Dataset(
        slug="scores",
        title="Current scores",
        description="Each layer's current score for each side, with why.",
        columns=SCORE_COLUMNS,
        builder=_scores,
    ),
    Dataset(
        slug="score-history",
        title="Score history",
        description="Every assessment of every layer, oldest first, with the "
        "rationale and source of each.",
        columns=SCORE_COLUMNS,
        builder=_history,
    ),
    Dataset(
        slug="metrics",
        title="Metrics",
        description="The figures behind each layer: one row per metric and side. "
        "Figures are the current ones whatever the as_of date.",
        columns=(
            LAYER,
            LAYER_NAME,
            Column("metric", "The metric's name."),
            Column("metric_key", "A stable key for some metrics; often empty."),
            Column("formula", "How the metric is worked out, where it says."),
            Column("side", "us or china; empty when no side has a figure yet."),
            Column("low", "The figure, or the low end of a range."),
            Column("high", "The high end of a range; equal to low for one figure."),
            Column("text", "A figure that is not a number, e.g. 5 nm-class."),
            Column("unit", "The unit of low and high, e.g. % or US$ bn."),
            Column("year", "The year the figure is for."),
            Column(
                "confidence",
                "solid (sourced), estimate, or unsourced (the tracker's own).",
            ),
            Column("source", "Where the figure comes from."),
            Column("note", "Anything else to know about the figure."),
        ),
        builder=_metrics,
    ),
    Dataset(
        slug="developments",
        title="Developments",
        description="Published news items on each layer, newest first. Drafts "
        "and scheduled items are never included.",
        columns=(
            Column("id", "The development's number; score development_ids use it."),
            LAYER,
            LAYER_NAME,
            Column("title", "The headline."),
            Column("category", "The kind of development, e.g. Policy."),
            Column(
                "published_at",
                "When it was published, in UTC (ISO 8601). When date_is_known "
                "is false, the source gave no date and this is approximate.",
            ),
            Column("date_is_known", "true if the source gives the date."),
            Column("url", "The development's page on the site."),
            Column("body", "The text, in Markdown."),
            Column(
                "source", "Who reported it, e.g. Reuters; empty when none is named."
            ),
            Column("source_url", "The source's web page; empty when there is none."),
            Column(
                "score_ids",
                "The scores this development moved (their id in the score "
                "files), separated by semicolons.",
            ),
        ),
        builder=_developments,
    ),
    Dataset(
        slug="layers",
        title="Layers",
        description="The 14 layers of the stack, bottom first.",
        columns=(
            LAYER,
            Column("name", "The layer's name."),
            Column("position", "Place in the stack: 1 is the bottom."),
            Column("summary", "What the layer is about, in Markdown."),
            Column("measure", "What the 0–10 score measures on this layer."),
            Column("url", "The layer's page on the site."),
            Column("related", "Slugs of related layers, separated by semicolons."),
        ),
        builder=_layers,
    ),
)
BY_SLUG = {dataset.slug: dataset for dataset in DATASETS}


# Files.


class _Echo:
    """A file that hands back what is written to it, for csv.writer."""

    def write(self, value):
        return value


def csv_chunks(dataset, options, bom=True):
    """The dataset as CSV text, a few rows at a time."""
    writer = csv.writer(_Echo())
    names = [column.name for column in dataset.columns]
    pending = [(BOM if bom else "") + writer.writerow(names)]
    for row in dataset.rows(options):
        pending.append(writer.writerow([_csv_value(row[name]) for name in names]))
        if len(pending) >= ROWS_PER_WRITE:
            yield "".join(pending)
            pending = []
    yield "".join(pending)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return spreadsheet_safe(LIST_SEPARATOR.join(str(item) for item in value))
    return spreadsheet_safe(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula, with a quote before it.

    Staff write these cells and readers open them in spreadsheets, where a
    cell such as ``=HYPERLINK(...)`` would run. Numbers pass unchanged.
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def json_chunks(dataset, options):
    """The dataset as one JSON object whose ``items`` are its rows."""
    head = {
        "dataset": dataset.slug,
        "title": dataset.title,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "layer": options.layer.slug if options.layer else None,
        "as_of": options.as_of.isoformat() if options.as_of else None,
    }
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "items": ['
    pending = [opening]
    separator = ""
    for row in dataset.rows(options):
        pending.append(separator + json.dumps(row, ensure_ascii=False))
        separator = ","
        if len(pending) >= ROWS_PER_WRITE:
            yield "".join(pending)
            pending = []
    pending.append("]}\n")
    yield "".join(pending)


def readme(options, retrieved=None):
    """README.txt for the zip: what each file holds, the licence, a citation."""
    return render_to_string(
        "data/README.txt",
        {
            "datasets": DATASETS,
            "options": options,
            "licence": LICENCE,
            "licence_url": LICENCE_URL,
            "retrieved": retrieved or timezone.localdate(),
            "list_separator": LIST_SEPARATOR,
        },
    )


class _Sink:
    """A write-only file whose contents are taken away as they come."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def zip_chunks(options):
    """A zip of README.txt and every dataset as CSV and JSON, as it is made.

    zipfile writes to a stream it cannot seek by giving each member a data
    descriptor, so no member is ever held whole.
    """
    sink = _Sink()
    stamp = timezone.localtime().timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        members = [("README.txt", iter([readme(options)]))]
        for dataset in DATASETS:
            members.append((f"{dataset.slug}.csv", csv_chunks(dataset, options)))
            members.append((f"{dataset.slug}.json", json_chunks(dataset, options)))
        for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:
                for chunk in chunks:
                    member.write(chunk.encode())
                    if data := sink.take():
                        yield data
    yield sink.take()
