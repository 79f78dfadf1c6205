"""The reader widgets: the comparison on the stack, effective compute, the
weakest link and the weighing of the stack.

Each widget has one URL. An htmx request gets the widget's partial, to swap
into the page it was revealed on; any other request, a history restore
included, gets a whole page, so a link or the Back button never lands on a
bare fragment.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import replace_url

from . import asof, compute
from .models import Layer, Metric, MetricValue


@require_GET
def comparison(request, slug):
    as_of, note = asof.for_page(request)
    layer = get_object_or_404(Layer.objects.with_current_scores(as_of=as_of), slug=slug)
    context = {"layer": layer, **asof.context(as_of, note)}
    response = _partial_or_page(
        request, "layers/widgets/comparison.html", "comparison", context
    )
    return asof.noindex(response, as_of)


@require_GET
def effective_compute(request, slug):
    layer = get_object_or_404(
        Layer.objects.prefetch_related(
            Prefetch(
                "metrics",
                queryset=Metric.objects.filter(
                    key__in=compute.FACTOR_KEYS
                ).prefetch_related(
                    Prefetch("values", queryset=MetricValue.objects.order_by("side"))
                ),
            )
        ),
        slug=slug,
    )
    module = compute.effective_compute(layer.metrics.all())
    if module is None:
        raise Http404("This layer has no effective-compute module.")
    context = {"layer": layer, "module": module}
    number = _step(request.GET.get("step"), module)
    if number is None:
        partial = "module"
    elif number <= len(module.steps):
        partial = "step"
        context["step"] = module.steps[number - 1]
    else:
        partial = "ratio"
    return _partial_or_page(
        request, "layers/widgets/effective_compute.html", partial, context
    )


@require_GET
def weakest_link(request):
    as_of, note = asof.for_page(request)
    stack = list(Layer.objects.with_current_scores(as_of=as_of).order_by("-position"))
    context = {"weakest": compute.weakest_links(stack), **asof.context(as_of, note)}
    response = _partial_or_page(
        request, "layers/widgets/weakest_link.html", "weakest", context
    )
    return asof.noindex(response, as_of)


@require_GET
def weigh(request):
    as_of, note = asof.for_page(request)
    stack = list(Layer.objects.with_current_scores(as_of=as_of).order_by("-position"))
    weights = compute.read_weights(
        request.META.get("QUERY_STRING", ""), [layer.slug for layer in stack]
    )
    equal = compute.Weights({layer.slug: compute.DEFAULT_WEIGHT for layer in stack})
    context = {
        "weights": weights,
        "weighing": compute.weigh(stack, weights),
        "equal": compute.weigh(stack, equal),
        # The link to share: the day viewed, if not today, and changed weights.
        "query": "&".join(q for q in (_as_of_pair(as_of), weights.query()) if q),
        "default_weight": compute.DEFAULT_WEIGHT,
        "max_weight": compute.MAX_WEIGHT,
        **asof.context(as_of, note),
    }
    response = _partial_or_page(request, "layers/widgets/weigh.html", "update", context)
    if _wants_partial(request):
        # The address bar shows the link to share.
        query = context["query"]
        replace_url(response, f"{request.path}?{query}" if query else request.path)
    return asof.noindex(response, as_of)


def _as_of_pair(as_of):
    return asof.query_string(as_of).removeprefix("?")


def _wants_partial(request):
    return bool(request.htmx) and not request.htmx.history_restore_request


def _partial_or_page(request, template, partial, context):
    name = f"{template}#{partial}" if _wants_partial(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def _step(text, module):
    """The step a request asks for, or None for the whole module."""
    if text is None or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    if 1 <= number <= len(module.steps) + 1:
        return number
    return None
