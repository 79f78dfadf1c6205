from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from news.models import Development

from .models import Layer, MetricValue, Page, Side


@require_GET
def home(request):
    context = {
        "summary": Page.objects.filter(slug=Page.STATE_OF_THE_STACK).first(),
        "layers": Layer.objects.with_current_scores().in_stack_order(),
    }
    return render(request, "layers/home.html", context)


@require_GET
def layer_detail(request, slug):
    layer = get_object_or_404(
        Layer.objects.with_current_scores().prefetch_related(
            "sections",
            Prefetch(
                "metrics__values",
                queryset=MetricValue.objects.order_by("side"),
            ),
            Prefetch("related", queryset=Layer.objects.in_stack_order()),
        ),
        slug=slug,
    )
    neighbours = Layer.objects.filter(
        position__in=[layer.position - 1, layer.position + 1]
    ).in_stack_order()
    below = next((n for n in neighbours if n.position < layer.position), None)
    above = next((n for n in neighbours if n.position > layer.position), None)
    context = {
        "layer": layer,
        "sides": Side,
        "section_groups": _group_sections(layer.sections.all()),
        "developments": Development.objects.published()
        .filter(layer=layer)
        .newest_first(),
        "below": below,
        "above": above,
    }
    return render(request, "layers/layer_detail.html", context)


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
