"""Charts: each one's own page and fragment, its table as CSV, and the chart
pages of a layer.

The layer page draws every chart in full, so it reads without JavaScript;
once a chart scrolls into view, htmx asks for its drawing again and swaps it
in, which starts the drawing's animation. The trigger is "intersect once",
as the widgets use, rather than "revealed": htmx 2 checks "revealed" against
the scroll position only every 200 ms, so a chart scrolled past quickly
would stay waiting. An htmx request gets that
fragment; any other request, a history restore included, gets a whole page.
"""

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from layers.exports import spreadsheet_safe

from .models import Chart, ChartPage


@require_GET
def detail(request, slug):
    chart = _chart(request, slug)
    if _wants_partial(request):
        response = render(request, "charts/chart.html#plot", {"chart": chart})
    else:
        response = render(request, "charts/chart.html", {"chart": chart})
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


@require_GET
def table_csv(request, slug):
    chart = _chart(request, slug)
    data = chart.dataset
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in data.columns])
    writer.writerows(
        [spreadsheet_safe(cell) for cell in row.cells] for row in data.rows
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{chart.slug}.csv"
    )
    return response


@require_GET
def page(request, layer, slug):
    chart_page = get_object_or_404(
        ChartPage.objects.select_related("layer"), layer__slug=layer, slug=slug
    )
    charts = chart_page.charts.in_order().select_related("layer")
    if not request.user.is_staff:
        charts = charts.shown()
    context = {"page": chart_page, "layer": chart_page.layer, "charts": charts}
    return render(request, "charts/page.html", context)


def _chart(request, slug):
    chart = get_object_or_404(Chart.objects.select_related("layer", "page"), slug=slug)
    if not chart.is_shown and not request.user.is_staff:
        raise Http404("No chart is shown at this address.")
    return chart


def _wants_partial(request):
    return bool(request.htmx) and not request.htmx.history_restore_request
