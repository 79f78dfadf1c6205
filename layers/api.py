"""The read-only JSON API at /api/v1/, with its schema and documentation.

It serves what readers can see and nothing more: the querysets come from
layers/exports.py, which the downloads use too. A parameter that does not
validate gets a 400 with the parameter named (django-ninja would send a 422).
The documentation page loads Swagger UI from the site's own static files
("ninja" is in INSTALLED_APPS), so it runs under the site's CSP.
"""

import datetime
import re
from typing import Annotated, Literal

from django.db.models import Min, Prefetch
from django.http import Http404
from django.urls import reverse
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.openapi.docs import Swagger
from pydantic import AfterValidator, BeforeValidator

from . import asof, exports
from .models import Layer, Metric, MetricValue, Score, Section, Side, leader_of

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
# Far beyond any real list; keeps OFFSET within what the database accepts.
MAX_OFFSET = 1_000_000
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
# Category names are free text; only a NUL byte, which no database keeps, is out.
TEXT_PATTERN = r"^[^\x00]*$"

DESCRIPTION = f"""
The AI Stack Tracker's public data: the 14 layers of the AI stack, each
side's scores and the reasons for them, the metrics behind them, and the
published developments. Read-only; no key needed. Licensed
[{exports.LICENCE}]({exports.LICENCE_URL}): credit The AI Stack Tracker.

`as_of=YYYY-MM-DD` shows the tracker as it stood at the end of that day:
scores dated on or before it and developments published by then. Metrics and
sections are always the current ones.

`as_of` may not be after today. Where a side had no score yet on that day,
the layer's `note` says so and when its first score came; an empty score
history of a day before the first score carries such a `note` too.

Lists come a page at a time (`limit`, `offset`) with `count`, the total.
A parameter that cannot be read, a date `from` after `to` and an `as_of`
after today get a 400 whose `detail` says why. `/api/v1/` lists the
endpoints; any other address under it is a 404 in JSON.
"""


class OpenDataAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        # Open data: any site's scripts may read it. No cookie is involved.
        response["Access-Control-Allow-Origin"] = "*"
        return response


api = OpenDataAPI(
    title="The AI Stack Tracker API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api-v1",
    # Swagger UI from the site's static files; no validator badge to fetch.
    docs=Swagger(settings={"validatorUrl": None}),
)


class Error(Schema):
    detail: str
    errors: list[dict] = Field(
        default_factory=list,
        description="For a 400, each parameter that failed and why.",
    )


class DevelopmentRef(Schema):
    id: int
    title: str
    url: str
    published_at: datetime.datetime


class ScoreOut(Schema):
    id: int
    layer: str = Field(description="The layer's slug.")
    layer_name: str
    side: Literal["us", "china"]
    side_label: str
    score: float = Field(ge=0, le=10)
    previous_score: float | None = Field(
        description="The side's score just before this one; null for the first."
    )
    as_of: datetime.date
    confidence: Literal["low", "medium", "high"]
    review_due: datetime.date
    rationale: str = Field(description="Markdown.")
    source: str
    developments: list[DevelopmentRef] = Field(
        description="The published developments that moved this score."
    )


class IndexLinks(Schema):
    layers: str
    layer: str = Field(description="One layer: put its slug in place of {slug}.")
    scores: str
    developments: str
    openapi: str = Field(description="This API's OpenAPI schema.")
    docs: str = Field(description="This API's documentation, to read and try.")
    data: str = Field(description="The same data as files to download.")


class IndexOut(Schema):
    name: str
    version: str
    description: str
    licence: str
    licence_url: str
    links: IndexLinks


class LayerOut(Schema):
    slug: str
    name: str
    position: int = Field(description="Place in the stack: 1 is the bottom.")
    summary: str = Field(description="Markdown.")
    measure: str = Field(description="What the 0–10 score measures.")
    url: str
    us_score: float | None
    china_score: float | None
    us_as_of: datetime.date | None
    china_as_of: datetime.date | None
    leader: str | None = Field(
        description="'US & Allies', 'China' or 'Even'; null until both are scored."
    )
    note: str | None = Field(
        description="Why a score is null: the side had no score yet on the day "
        "asked for, or has none at all. Null when both sides are scored."
    )


class SectionOut(Schema):
    heading: str
    body: str = Field(description="Markdown.")
    is_branch: bool = Field(description="A heading for the sections after it.")


class FigureOut(Schema):
    side: Literal["us", "china"]
    low: float | None
    high: float | None
    text: str
    unit: str
    year: int | None
    confidence: Literal["solid", "estimate", "unsourced"]
    source: str
    note: str


class MetricOut(Schema):
    name: str
    key: str
    formula: str
    values: list[FigureOut]


class LayerDetailOut(LayerOut):
    related: list[str] = Field(description="Slugs of related layers.")
    current_scores: list[ScoreOut]
    metrics: list[MetricOut]
    sections: list[SectionOut]


class DevelopmentOut(Schema):
    id: int
    layer: str
    layer_name: str
    title: str
    category: str
    published_at: datetime.datetime
    date_is_known: bool = Field(description="False when the source gave no date.")
    url: str
    body: str = Field(description="Markdown.")
    source: str = Field(
        description="Who reported it, e.g. Reuters; empty when the tracker "
        "names no source."
    )
    source_url: str = Field(
        description="The source's page (http or https); empty when there is none."
    )
    score_ids: list[int] = Field(description="The scores this development moved.")


class ScorePage(Schema):
    count: int
    limit: int
    offset: int
    note: str | None = Field(
        description="Set when nothing matches because as_of is before the first "
        "score: says when the first score came."
    )
    items: list[ScoreOut]


class DevelopmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DevelopmentOut]


ERRORS = {400: Error, 404: Error}
BAD_AS_OF = "as_of cannot be read or is after today."
BAD_LIST = (
    "A parameter cannot be read, from is after to, or as_of is after today; "
    "detail says which."
)
NO_LAYER = "No layer has this slug."


def _answers(bad, missing=None):
    """Say in the schema when each error is sent (openapi_extra)."""
    # Integer codes, as ninja keys its own, so the two merge.
    responses = {400: {"description": bad}}
    if missing:
        responses[404] = {"description": missing}
    return {"responses": responses}


def _iso_day(value):
    # pydantic would also read a number as a date (seconds since 1970).
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise ValueError("Write the date as YYYY-MM-DD, e.g. 2026-12-02.")


def _not_after_today(day):
    if day > asof.today():
        raise ValueError(
            f"as_of must not be after today ({asof.today().isoformat()}): the "
            "tracker cannot show a day that has not come yet."
        )
    return day


Day = Annotated[datetime.date, BeforeValidator(_iso_day)]
PastDay = Annotated[Day, AfterValidator(_not_after_today)]

AsOf = Annotated[
    PastDay | None,
    Query(
        description="Show the tracker as it stood at the end of this day "
        "(YYYY-MM-DD), today or earlier."
    ),
]
LayerSlug = Annotated[
    str | None,
    Query(pattern=SLUG_PATTERN, max_length=120, description="A layer's slug."),
]
SideParam = Annotated[Literal["us", "china"] | None, Query(description="One side.")]
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"How many items, 1 to {MAX_LIMIT}."),
]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip.")
]
ScoresFrom = Annotated[
    Day | None,
    Query(alias="from", description="Scores dated on or after this day."),
]
ScoresTo = Annotated[
    Day | None,
    Query(alias="to", description="Scores dated on or before this day."),
]
Category = Annotated[
    str | None,
    Query(
        pattern=TEXT_PATTERN,
        max_length=60,
        description="A category, e.g. Policy, in any case.",
    ),
]
PublishedFrom = Annotated[
    Day | None,
    Query(
        alias="from",
        description="Published on or after this day (newsroom time zone).",
    ),
]
PublishedTo = Annotated[
    Day | None,
    Query(
        alias="to",
        description="Published on or before this day (newsroom time zone).",
    ),
]
Slug = Annotated[
    str, Path(pattern=SLUG_PATTERN, max_length=120, description="A layer's slug.")
]


@api.get(
    "/",
    response={200: IndexOut},
    tags=["index"],
    summary="What this API offers",
)
def index(request):
    """The API's name and version, and a link to each endpoint and the docs."""
    base = exports.site_url(request)
    here = base + request.path
    return {
        "name": api.title,
        "version": api.version,
        "description": "The AI Stack Tracker's public data: layers, scores and "
        "developments. Read-only; no key needed.",
        "licence": exports.LICENCE,
        "licence_url": exports.LICENCE_URL,
        "links": {
            "layers": here + "layers",
            "layer": here + "layers/{slug}",
            "scores": here + "scores",
            "developments": here + "developments",
            "openapi": here + "openapi.json",
            "docs": here + "docs",
            "data": base + reverse("data:index"),
        },
    }


@api.get(
    "/layers",
    response={200: list[LayerOut], 400: Error},
    tags=["layers"],
    summary="Every layer",
    openapi_extra=_answers(BAD_AS_OF),
)
def layers(request, as_of: AsOf = None):
    """Every layer, bottom of the stack first, with both sides' current scores."""
    found = list(Layer.objects.with_current_scores(as_of=as_of).order_by("position"))
    notes = _unscored_notes(found, as_of)
    return [_layer(request, layer, notes.get(layer.pk)) for layer in found]


@api.get(
    "/layers/{slug}",
    response={200: LayerDetailOut, **ERRORS},
    tags=["layers"],
    summary="One layer",
    openapi_extra=_answers(BAD_AS_OF, NO_LAYER),
)
def layer(request, slug: Slug, as_of: AsOf = None):
    """One layer: its current scores with reasons, metrics and sections."""
    found = (
        Layer.objects.with_current_scores(as_of=as_of)
        .prefetch_related(
            Prefetch("related", queryset=Layer.objects.order_by("position")),
            Prefetch("sections", queryset=Section.objects.order_by("position", "pk")),
            Prefetch(
                "metrics",
                queryset=Metric.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("values", queryset=MetricValue.objects.order_by("side"))
                ),
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if found is None:
        raise _no_layer(slug)
    scores = exports.current_score_queryset(as_of, found)
    note = _unscored_notes([found], as_of).get(found.pk)
    return {
        **_layer(request, found, note),
        "related": [other.slug for other in found.related.all()],
        "current_scores": [_score(request, score) for score in scores],
        "metrics": [
            {
                "name": metric.name,
                "key": metric.key,
                "formula": metric.formula,
                "values": [exports.figure_row(v) for v in metric.values.all()],
            }
            for metric in found.metrics.all()
        ],
        "sections": [
            {
                "heading": section.heading,
                "body": section.body,
                "is_branch": section.is_branch,
            }
            for section in found.sections.all()
        ],
    }


@api.get(
    "/scores",
    response={200: ScorePage, **ERRORS},
    tags=["scores"],
    summary="Score history",
    openapi_extra=_answers(BAD_LIST, NO_LAYER),
)
def scores(
    request,
    layer: LayerSlug = None,
    side: SideParam = None,
    date_from: ScoresFrom = None,
    date_to: ScoresTo = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    """Every assessment, newest first, each with the score it replaced."""
    _check_order(date_from, date_to)
    chosen = _layer_or_404(layer)
    found = exports.score_queryset(as_of, chosen)
    if side:
        found = found.filter(side=side)
    if date_from:
        found = found.filter(as_of__gte=date_from)
    if date_to:
        found = found.filter(as_of__lte=date_to)
    found = found.order_by("-as_of", "-pk")
    count = found.count()
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "note": _before_first_note(as_of, chosen, side) if not count else None,
        "items": [_score(request, s) for s in found[offset : offset + limit]],
    }


@api.get(
    "/developments",
    response={200: DevelopmentPage, **ERRORS},
    tags=["developments"],
    summary="Published developments",
    openapi_extra=_answers(BAD_LIST, NO_LAYER),
)
def developments(
    request,
    layer: LayerSlug = None,
    category: Category = None,
    date_from: PublishedFrom = None,
    date_to: PublishedTo = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    """Published developments, newest first; never drafts or scheduled items."""
    _check_order(date_from, date_to)
    found = exports.development_queryset(as_of, _layer_or_404(layer))
    if category:
        found = found.filter(category__iexact=category)
    if date_from:
        found = found.filter(published_at__date__gte=date_from)
    if date_to:
        found = found.filter(published_at__date__lte=date_to)
    options = exports.Options(base_url=exports.site_url(request))
    return {
        "count": found.count(),
        "limit": limit,
        "offset": offset,
        "items": [
            exports.development_row(development, options)
            for development in found[offset : offset + limit]
        ],
    }


@api.exception_handler(ValidationError)
def bad_parameters(request, error):
    """Answer 400, naming each parameter that failed and why."""
    problems = [
        {
            "parameter": ".".join(str(part) for part in problem["loc"][1:])
            or str(problem["loc"][0]),
            "in": problem["loc"][0],
            # pydantic puts "Value error, " before what our own checks say.
            "message": problem["msg"].removeprefix("Value error, "),
        }
        for problem in error.errors
    ]
    detail = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems)
    return api.create_response(
        request,
        {"detail": f"Bad parameter. {detail}", "errors": problems},
        status=400,
    )


@api.exception_handler(Http404)
def not_found(request, error):
    detail = str(error) or "Not found."
    return api.create_response(request, {"detail": detail}, status=404)


def unknown_endpoint(request, rest=""):
    """Answer any other address under /api/v1/ with a 404 in JSON."""
    index_url = reverse("api-v1:index")
    detail = (
        f"There is no endpoint at {request.path}. The endpoints are listed at "
        f"{index_url}, and documented at {index_url}docs."
    )
    return api.create_response(request, {"detail": detail}, status=404)


def _check_order(date_from, date_to):
    if date_from and date_to and date_from > date_to:
        raise ValidationError(
            [
                {
                    "loc": ("query", "from"),
                    "msg": f"from ({date_from.isoformat()}) must not be after to "
                    f"({date_to.isoformat()}); swap them for that range.",
                }
            ]
        )


def _first_score_dates(layers):
    """{(layer id, side): date of its first score}, in one query."""
    rows = (
        Score.objects.filter(layer__in=layers)
        .values("layer_id", "side")
        .annotate(first=Min("as_of"))
        .order_by()
    )
    return {(row["layer_id"], row["side"]): row["first"] for row in rows}


def _unscored_notes(layers, as_of):
    """{layer id: a note saying why a side's score is null}.

    Costs a query only when some side has no score on the day asked for.
    """
    unscored = [
        layer for layer in layers if layer.us_score is None or layer.china_score is None
    ]
    if not unscored:
        return {}
    firsts = _first_score_dates(unscored) if as_of else {}
    return {layer.pk: _unscored_note(layer, as_of, firsts) for layer in unscored}


def _unscored_note(layer, as_of, firsts):
    missing = [
        side
        for side in (Side.US, Side.CHINA)
        if getattr(layer, f"{side}_score") is None
    ]
    later = {side: firsts.get((layer.pk, side.value)) for side in missing}
    if as_of and len(missing) == 2 and len(set(later.values())) == 1 and later[Side.US]:
        return (
            f"No score existed yet on {as_of.isoformat()}: the first for this "
            f"layer is dated {later[Side.US].isoformat()}."
        )
    sentences = []
    for side in missing:
        if later[side]:
            sentences.append(
                f"No {side.label} score existed yet on {as_of.isoformat()}: "
                f"its first is dated {later[side].isoformat()}."
            )
        else:
            sentences.append(f"{side.label} has not been scored yet.")
    return " ".join(sentences)


def _before_first_note(as_of, layer, side):
    """Say so when as_of is before the first score the filters could match."""
    if as_of is None:
        return None
    scores = Score.objects.all()
    if layer:
        scores = scores.filter(layer=layer)
    if side:
        scores = scores.filter(side=side)
    first = asof.first_score_date(scores)
    if first is None or first <= as_of:
        return None
    return (
        f"No score existed yet on {as_of.isoformat()}: the first is dated "
        f"{first.isoformat()}."
    )


def _layer_or_404(slug):
    if not slug:
        return None
    found = Layer.objects.filter(slug=slug).first()
    if found is None:
        raise _no_layer(slug)
    return found


def _no_layer(slug):
    return HttpError(404, f"There is no layer with the slug '{slug}'.")


def _layer(request, layer, note=None):
    return {
        "slug": layer.slug,
        "name": layer.name,
        "position": layer.position,
        "summary": layer.summary,
        "measure": layer.measure,
        "url": exports.site_url(request) + layer.get_absolute_url(),
        "us_score": exports.score_number(layer.us_score),
        "china_score": exports.score_number(layer.china_score),
        "us_as_of": layer.us_as_of,
        "china_as_of": layer.china_as_of,
        "leader": leader_of(layer.us_score, layer.china_score),
        "note": note,
    }


def _score(request, score):
    return {
        **exports.score_row(score),
        "developments": [
            {
                "id": development.pk,
                "title": development.title,
                "url": exports.site_url(request) + development.get_absolute_url(),
                "published_at": development.published_at,
            }
            for development in score.public_developments
        ],
    }
