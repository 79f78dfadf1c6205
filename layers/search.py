"""Search over the layers and the public developments.

On PostgreSQL the database does the work: full-text search in English, so
"chips" also finds "chip", ranked with titles above running text, and its
own excerpts with the matching words marked. Elsewhere (SQLite in local use)
a simpler search stands in: every word must appear somewhere, matches in
titles count for more, and the excerpts are cut in Python. It compares text
casefolded by Python, as SQLite's own LOWER() and LIKE fold only ASCII
letters: "ΑΙ" finds "αι" there as it does on PostgreSQL.

Either way an excerpt starts from what an editor typed, Markdown, and is
turned into plain text and HTML-escaped before the matches are wrapped in
<mark>, so no typed text becomes markup on the results page.
"""

import html
import re
import string
import unicodedata
from dataclasses import dataclass, field

import markdown as md
import nh3
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.db.models.lookups import Contains
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from news.models import Development

from .models import Layer, Metric, Section

MAX_QUERY_LENGTH = 200
# The most developments one page lists; the rest are older or weaker matches.
DEVELOPMENT_LIMIT = 50
# Layer passages (summary, sections, metrics) shown under each layer found.
PASSAGES_PER_LAYER = 2
# Private-use characters delimit the matches until the text is escaped.
MARK_START, MARK_END = "\ue000", "\ue001"
MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
WORD = re.compile(r"\w+")
# Control and format characters, NUL among them, never belong in a query.
UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn"}
TS_CONFIG = "english"
EXCERPT_WORDS = 28
# The simple search's SQL grows with each word; past this many it stops.
SIMPLE_MAX_WORDS = 12
# The name the simple search's casefolding function has in SQLite.
SQLITE_CASEFOLD = "tracker_casefold"
# Words the simple search skips: as substrings they would match nearly all.
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is",
     "it", "of", "on", "or", "the", "to", "with"}
)  # fmt: skip


@require_GET
def results(request):
    query = parse_query(request.GET.get("q", ""))
    found = search(query) if query.words else None
    context = {"query": query, "found": found, "max_length": MAX_QUERY_LENGTH}
    return render(request, "search/results.html", context)


@dataclass(frozen=True)
class Query:
    """What the reader asked for, cleaned, and what had to be cleaned."""

    text: str
    words: tuple
    was_shortened: bool = False
    had_no_words: bool = False


@dataclass
class Passage:
    label: SafeString
    url: str
    excerpt: SafeString


@dataclass
class LayerHit:
    layer: Layer
    name: SafeString
    measure: SafeString
    passages: list = field(default_factory=list)


@dataclass
class DevelopmentHit:
    development: Development
    title: SafeString
    excerpt: SafeString


@dataclass
class Found:
    layers: list
    developments: list
    more_developments: bool

    @property
    def count(self):
        return len(self.layers) + len(self.developments)


def parse_query(raw):
    """Clean a typed query: printable characters, single spaces, 200 at most."""
    text = "".join(
        " " if char.isspace() else char
        for char in raw
        if char.isspace() or unicodedata.category(char) not in UNPRINTABLE
    )
    text = " ".join(text.split())
    was_shortened = len(text) > MAX_QUERY_LENGTH
    if was_shortened:
        text = text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] or text[:MAX_QUERY_LENGTH]
    words = tuple(dict.fromkeys(word.casefold() for word in WORD.findall(text)))
    return Query(
        text=text,
        words=words,
        was_shortened=was_shortened,
        had_no_words=bool(text) and not words,
    )


def search(query):
    if connection.vendor == "postgresql":
        return PostgresSearch(query.text).run()
    return SimpleSearch(query.words).run()


class PostgresSearch:
    """Full-text search with PostgreSQL's ranking and excerpts."""

    def __init__(self, text):
        self.query = SearchQuery(text, search_type="websearch", config=TS_CONFIG)

    def run(self):
        layers = list(self._layers())
        ids = [layer.pk for layer in layers]
        sections = self._passages(Section.objects.filter(layer__in=ids))
        metrics = self._passages(Metric.objects.filter(layer__in=ids))
        developments = list(self._developments()[: DEVELOPMENT_LIMIT + 1])
        return Found(
            layers=[
                _layer_hit(
                    layer,
                    name=layer.name_marked,
                    measure=layer.measure_marked,
                    summary=_headline_text(layer.summary_marked, layer.summary),
                    sections=[
                        (s, s.heading_marked, _headline_text(s.body_marked, s.body))
                        for s in sections
                        if s.layer_id == layer.pk
                    ],
                    metrics=[
                        (m.name_marked, m.formula_marked)
                        for m in metrics
                        if m.layer_id == layer.pk
                    ],
                )
                for layer in layers
            ],
            developments=[
                DevelopmentHit(
                    development=d,
                    title=_to_html(d.title_marked),
                    excerpt=_to_html(_headline_text(d.body_marked, d.body)),
                )
                for d in developments[:DEVELOPMENT_LIMIT]
            ],
            more_developments=len(developments) > DEVELOPMENT_LIMIT,
        )

    def _layers(self):
        sections = _joined_text(Section, "heading", "body")
        metrics = _joined_text(Metric, "name", "formula")
        document = (
            SearchVector("name", weight="A", config=TS_CONFIG)
            + SearchVector("measure", "summary", weight="B", config=TS_CONFIG)
            + SearchVector(sections, metrics, weight="C", config=TS_CONFIG)
        )
        return (
            Layer.objects.annotate(document=document)
            .filter(document=self.query)
            .annotate(
                rank=SearchRank(F("document"), self.query),
                name_marked=self._whole("name"),
                measure_marked=self._whole("measure"),
                summary_marked=self._excerpt("summary"),
            )
            .order_by("-rank", "position")
        )

    def _passages(self, queryset):
        """Mark the query's words in each row; the caller keeps marked rows.

        A layer matches when all the words appear somewhere in it, perhaps in
        different sections, so sections are not filtered on the whole query.
        """
        if queryset.model is Section:
            marked = {
                "heading_marked": self._whole("heading"),
                "body_marked": self._excerpt("body"),
            }
        else:
            marked = {
                "name_marked": self._whole("name"),
                "formula_marked": self._whole("formula"),
            }
        return list(queryset.annotate(**marked).order_by("layer", "position", "pk"))

    def _developments(self):
        document = (
            SearchVector("title", weight="A", config=TS_CONFIG)
            + SearchVector("category", weight="B", config=TS_CONFIG)
            + SearchVector("body", weight="C", config=TS_CONFIG)
        )
        return (
            Development.objects.published()
            .select_related("layer")
            .annotate(document=document)
            .filter(document=self.query)
            .annotate(
                rank=SearchRank(F("document"), self.query),
                title_marked=self._whole("title"),
                body_marked=self._excerpt("body"),
            )
            .order_by("-rank", "-published_at", "-pk")
        )

    def _whole(self, field_name):
        return self._headline(field_name, highlight_all=True)

    def _excerpt(self, field_name):
        return self._headline(
            field_name,
            max_words=EXCERPT_WORDS,
            min_words=EXCERPT_WORDS // 2,
            max_fragments=2,
            fragment_delimiter=" … ",
        )

    def _headline(self, field_name, **options):
        return SearchHeadline(
            field_name,
            self.query,
            config=TS_CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_END,
            **options,
        )


class SimpleSearch:
    """Substring search for databases without full-text search."""

    WEIGHTS = {"title": 8, "label": 4, "text": 2}

    def __init__(self, words):
        kept = [w for w in words if len(w) > 1 and w not in STOP_WORDS]
        # Only short or common words: search for them all the same.
        self.words = (kept or list(words))[:SIMPLE_MAX_WORDS]
        self.pattern = re.compile(
            r"\w*(?:" + "|".join(map(re.escape, self.words)) + r")\w*", re.IGNORECASE
        )

    def run(self):
        layers = list(self._layers())
        ids = [layer.pk for layer in layers]
        sections = list(Section.objects.filter(layer__in=ids))
        metrics = list(Metric.objects.filter(layer__in=ids))
        developments = list(self._developments()[: DEVELOPMENT_LIMIT + 1])
        return Found(
            layers=[
                _layer_hit(
                    layer,
                    name=self._mark(layer.name),
                    measure=self._mark(layer.measure),
                    summary=self._mark(_plain(layer.summary), excerpt=True),
                    sections=[
                        (
                            s,
                            self._mark(s.heading),
                            self._mark(_plain(s.body), excerpt=True),
                        )
                        for s in sections
                        if s.layer_id == layer.pk
                    ],
                    metrics=[
                        (self._mark(m.name), self._mark(m.formula))
                        for m in metrics
                        if m.layer_id == layer.pk
                    ],
                )
                for layer in layers
            ],
            developments=[
                DevelopmentHit(
                    development=d,
                    title=_to_html(self._mark(d.title)),
                    excerpt=_to_html(self._mark(_plain(d.body), excerpt=True)),
                )
                for d in developments[:DEVELOPMENT_LIMIT]
            ],
            more_developments=len(developments) > DEVELOPMENT_LIMIT,
        )

    def _layers(self):
        def in_related(model, *fields):
            return lambda word: Exists(
                model.objects.filter(
                    _any(fields, word), layer=OuterRef("pk")
                ).order_by()
            )

        in_sections = in_related(Section, "heading", "body")
        in_metrics = in_related(Metric, "name", "formula")
        rank = self._rank(
            {
                "title": lambda w: _any(("name",), w),
                "label": lambda w: _any(("measure", "summary"), w),
                "text": lambda w: Q(in_sections(w)) | Q(in_metrics(w)),
            }
        )
        matches = Q()
        for word in self.words:
            matches &= (
                _any(("name", "measure", "summary"), word)
                | Q(in_sections(word))
                | Q(in_metrics(word))
            )
        return (
            Layer.objects.filter(matches)
            .annotate(rank=rank)
            .order_by("-rank", "position")
        )

    def _developments(self):
        rank = self._rank(
            {
                "title": lambda w: _any(("title",), w),
                "label": lambda w: _any(("category",), w),
                "text": lambda w: _any(("body",), w),
            }
        )
        matches = Q()
        for word in self.words:
            matches &= _any(("title", "category", "body"), word)
        return (
            Development.objects.published()
            .select_related("layer")
            .filter(matches)
            .annotate(rank=rank)
            .order_by("-rank", "-published_at", "-pk")
        )

    def _rank(self, conditions):
        """Add up a weight for each word found in each kind of field."""
        terms = [
            Case(
                When(condition(word), then=Value(self.WEIGHTS[kind])),
                default=Value(0),
                output_field=IntegerField(),
            )
            for word in self.words
            for kind, condition in conditions.items()
        ]
        total = terms[0]
        for term in terms[1:]:
            total += term
        return total

    def _mark(self, text, excerpt=False):
        """Wrap each matching word in the markers; cut an excerpt around them."""
        text = (text or "").replace(MARK_START, "").replace(MARK_END, "")
        if excerpt:
            text = self._excerpt(text)
        return self.pattern.sub(lambda m: f"{MARK_START}{m[0]}{MARK_END}", text)

    def _excerpt(self, text):
        words = text.split(" ")
        if len(words) <= EXCERPT_WORDS:
            return text
        first = next(
            (i for i, word in enumerate(words) if self.pattern.search(word)), 0
        )
        start = max(0, min(first - EXCERPT_WORDS // 3, len(words) - EXCERPT_WORDS))
        end = start + EXCERPT_WORDS
        return (
            ("… " if start else "")
            + " ".join(words[start:end])
            + (" …" if end < len(words) else "")
        )


def _layer_hit(layer, *, name, measure, summary, sections, metrics):
    """Gather a layer's marked fields and the passages that match."""
    candidates = []
    if MARK_START in summary:
        candidates.append(("Summary", layer.get_absolute_url(), summary))
    for section, heading, body in sections:
        if MARK_START in heading or MARK_START in body:
            url = f"{layer.get_absolute_url()}#section-{section.pk}"
            candidates.append((heading, url, body))
    for metric_name, formula in metrics:
        if MARK_START in metric_name or MARK_START in formula:
            url = f"{layer.get_absolute_url()}#metrics"
            text = f"{metric_name}: {formula}" if formula else metric_name
            candidates.append(("Key metric", url, text))
    # Passages with the most matches first; the page order breaks ties.
    candidates.sort(key=lambda c: -(c[0].count(MARK_START) + c[2].count(MARK_START)))
    return LayerHit(
        layer=layer,
        name=_to_html(name),
        measure=_to_html(measure),
        passages=[
            Passage(label=_to_html(label), url=url, excerpt=_to_html(text))
            for label, url, text in candidates[:PASSAGES_PER_LAYER]
        ],
    )


def _joined_text(model, *fields):
    """A subquery joining the text of all a layer's sections or metrics."""
    parts = []
    for name in fields:
        parts += [name, Value("\n")]
    text = Concat(*parts[:-1], output_field=TextField())
    return Subquery(
        model.objects.filter(layer=OuterRef("pk"))
        .order_by()
        .values("layer")
        .annotate(text=StringAgg(text, Value("\n")))
        .values("text")
    )


def _any(fields, word):
    """Any of ``fields`` holds ``word``, already casefolded, in any case."""
    condition = Q()
    for name in fields:
        condition |= Q(Contains(Casefold(name), word))
    return condition


class Casefold(Func):
    """Text casefolded: by Python on SQLite (see add_sqlite_casefold), by the
    database's LOWER() elsewhere."""

    function = "LOWER"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function=SQLITE_CASEFOLD, **extra_context
        )


def add_sqlite_casefold(sender, connection, **kwargs):
    """Give each new SQLite connection the function Casefold calls."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_CASEFOLD, 1, _casefold, deterministic=True
        )


def _casefold(text):
    return text.casefold() if isinstance(text, str) else text


# Markdown that survives being cut mid-way: emphasis and code markers, and
# the target of a link whose text was kept.
MARKDOWN_LEFTOVERS = re.compile(r"\*+|`+|\]\([^)\s]*\)?|\[(?=[^\]]*$)")
PUNCTUATION = string.punctuation + " …“”‘’"


def _headline_text(headline, full_text):
    """Plain text of a database excerpt, with "…" where it cuts the text."""
    excerpt = _plain(headline)
    # PostgreSQL leaves out the punctuation at either end of an excerpt.
    text = _plain(_unmarked(full_text))
    whole = text.strip(PUNCTUATION)
    bare = _unmarked(excerpt).strip(PUNCTUATION)
    if not bare:
        return excerpt
    if not whole.startswith(bare[:40]):
        excerpt = f"… {excerpt}"
    if whole.endswith(bare[-40:]):
        excerpt = excerpt.rstrip(PUNCTUATION) + text[len(text.rstrip(PUNCTUATION)) :]
    else:
        excerpt = f"{excerpt} …"
    return excerpt


def _plain(text):
    """Turn Markdown (or an excerpt of it) into plain text on one line."""
    rendered = md.markdown(text or "")
    stripped = html.unescape(nh3.clean(rendered, tags=set()))
    stripped = MARKDOWN_LEFTOVERS.sub("", stripped)
    return " ".join(stripped.split())


def _unmarked(text):
    return text.replace(MARK_START, "").replace(MARK_END, "")


def _to_html(marked):
    """Escape marked plain text, then turn the markers into <mark> elements."""
    escaped = MARKED.sub(r"<mark>\1</mark>", escape(marked or ""))
    return mark_safe(_unmarked(escaped))  # noqa: S308 - escaped just above
