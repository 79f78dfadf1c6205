"""The methodology page: an editable Page, then every layer's measure."""

from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Layer, Page


@require_GET
def methodology(request):
    layers = Layer.objects.in_stack_order().annotate(
        figures=Count("metrics__values", distinct=True),
        sourced_figures=Count(
            "metrics__values",
            filter=~Q(metrics__values__source=""),
            distinct=True,
        ),
    )
    context = {
        "page": Page.objects.filter(slug=Page.METHODOLOGY).first(),
        "layers": layers,
    }
    return render(request, "layers/methodology.html", context)
