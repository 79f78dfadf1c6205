from collections import Counter

from django.core.paginator import InvalidPage, Paginator
from django.core.validators import slug_re
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from tracker.security import embeddable

from . import asof, compute
from .exports import linked_developments
from .history import score_changes, score_history
from .models import EVEN, Layer, Metric, MetricValue, Page, Score, Section, Side

CHANGES_PER_PAGE = 50
# A layer page lists its newest developments; the news list has the rest.
LAYER_DEVELOPMENTS = 10


@require_GET
def home(request):
    as_of, note = asof.for_page(request)
    # Top of the stack first: the page draws the stack as it is built.
    stack = list(Layer.objects.with_current_scores(as_of=as_of).order_by("-position"))
    scores_as_of = max(_score_dates(stack), default=None)
    context = {
        # The State of the Stack is written about today, so a past day omits it.
        "summary": None
        if as_of
        else Page.objects.filter(slug=Page.STATE_OF_THE_STACK).first(),
        "stack": stack,
        "tally": _tally(stack),
        "scores_as_of": scores_as_of,
        # Only a past day with nothing scored costs this one more query.
        "first_scored": asof.first_score_date()
        if as_of and stack and scores_as_of is None
        else None,
        **asof.context(as_of, note),
    }
    return asof.noindex(render(request, "layers/home.html", context), as_of)


@require_GET
def layer_detail(request, slug):
    as_of, note = asof.for_page(request)
    layer = get_object_or_404(
        Layer.objects.with_current_scores(as_of=as_of).prefetch_related(
            Prefetch("sections", queryset=Section.objects.order_by("position", "pk")),
            Prefetch(
                "metrics",
                queryset=Metric.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("values", queryset=MetricValue.objects.order_by("side"))
                ),
            ),
            Prefetch("related", queryset=Layer.objects.in_stack_order()),
            Prefetch(
                "scores",
                queryset=Score.objects.order_by("-as_of", "-pk").prefetch_related(
                    linked_developments(as_of)
                ),
            ),
        ),
        slug=slug,
    )
    stack = list(Layer.objects.with_current_scores(as_of=as_of).order_by("-position"))
    # Every score is fetched, so the first one dates an empty past page for free.
    all_scores = list(layer.scores.all())
    scores = [s for s in all_scores if as_of is None or s.as_of <= as_of]
    metrics = layer.metrics.all()
    # Worked out once for the module and for the metric that states its result.
    module = compute.effective_compute(metrics)
    context = {
        "layer": layer,
        "reasons": _reasons(scores),
        "score_history": score_history(
            scores, as_of or timezone.localdate(), historical=as_of is not None
        ),
        "first_scored": min((s.as_of for s in all_scores), default=None)
        if as_of and not scores
        else None,
        "module": module,
        "metrics": [_with_figures(metric, module) for metric in metrics],
        "section_groups": _group_sections(layer.sections.all()),
        # One more than shown tells whether to link to the rest.
        "developments": list(
            asof.developments_on(as_of)
            .filter(layer=layer)
            .select_related("layer")
            .newest_first()[: LAYER_DEVELOPMENTS + 1]
        ),
        "stack": stack,
        "below": next((n for n in stack if n.position < layer.position), None),
        "above": next(
            (n for n in reversed(stack) if n.position > layer.position), None
        ),
    }
    context["more_developments"] = len(context["developments"]) > LAYER_DEVELOPMENTS
    context["developments"] = context["developments"][:LAYER_DEVELOPMENTS]
    context["embed_url"] = request.build_absolute_uri(
        reverse("layers:embed", args=[layer.slug]) + asof.query_string(as_of)
    )
    context.update(asof.context(as_of, note))
    return asof.noindex(render(request, "layers/layer_detail.html", context), as_of)


@require_GET
@embeddable
def embed(request, slug):
    """A compact comparison card for other sites to show in an iframe."""
    as_of, _note = asof.for_page(request)
    layer = get_object_or_404(Layer.objects.with_current_scores(as_of=as_of), slug=slug)
    context = {
        "layer": layer,
        "scores_as_of": max(_score_dates([layer]), default=None),
        **asof.context(as_of),
    }
    return asof.noindex(render(request, "layers/embed.html", context), as_of)


@require_GET
def changes(request):
    """Every score change across the stack, newest first, a page at a time."""
    changes, layer = score_changes(), chosen_layer(request)
    if layer:
        # The layer is the window's partition, so earlier values stay right.
        changes = changes.filter(layer=layer)
    paginator = Paginator(changes, CHANGES_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(str(error)) from error
    query = f"layer={layer.slug}&" if layer else ""
    return render(
        request, "layers/changes.html", {"page": page, "layer": layer, "query": query}
    )


def chosen_layer(request):
    """The layer ``?layer=`` names, None without one; a 404 if none has it."""
    slug = request.GET.get("layer")
    if not slug:
        return None
    # Anything but a slug (a NUL byte, say) names no layer, and PostgreSQL
    # would refuse to look it up.
    if not slug_re.match(slug):
        raise Http404("No layer has this slug.")
    return get_object_or_404(Layer, slug=slug)


def _tally(layers):
    """Count the layers each side leads, and the even ones."""
    leaders = Counter(layer.leader for layer in layers)
    return {
        "us": leaders[Side.US.label],
        "china": leaders[Side.CHINA.label],
        "even": leaders[EVEN],
    }


def _score_dates(layers):
    for layer in layers:
        yield from (d for d in (layer.us_as_of, layer.china_as_of) if d)


def _reasons(scores):
    """Give each side's current rationale and source, once if both agree."""
    current = {}
    for score in scores:
        current.setdefault(score.side, score)
    reasons = [
        {"label": side.label, "score": current[side.value]}
        for side in (Side.US, Side.CHINA)
        if side.value in current and current[side.value].rationale
    ]
    texts = {(r["score"].rationale, r["score"].source) for r in reasons}
    if len(reasons) > 1 and len(texts) == 1:
        return [{"label": None, "score": reasons[0]["score"]}]
    return reasons


def _with_figures(metric, module=None):
    """Pair a metric with each side's figure, None where a side has none.

    The metric that states the effective-compute result gets the module's
    totals instead, so it always agrees with the module's inputs.
    """
    if module is not None and metric.key == compute.RESULT_KEY:
        return {"metric": metric, "computed": module, "has_figures": True}
    by_side = {value.side: value for value in metric.values.all()}
    figures = [
        {"side": side.value, "label": side.label, "value": by_side.get(side.value)}
        for side in (Side.US, Side.CHINA)
    ]
    return {"metric": metric, "figures": figures, "has_figures": bool(by_side)}


def _group_sections(sections):
    """Nest sections under the branch heading that precedes them."""
    groups = []
    for section in sections:
        if section.is_branch or not groups:
            groups.append(
                {"branch": section if section.is_branch else None, "items": []}
            )
            if section.is_branch:
                continue
        groups[-1]["items"].append(section)
    return groups
