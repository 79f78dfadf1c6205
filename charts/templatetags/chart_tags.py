"""Place a layer's charts on its page: under their branch headings, or after
the explanations, with links to the layer's chart pages."""

from django import template

from charts.models import Chart

register = template.Library()


class LayerCharts:
    """A layer's shown charts, read in one query, sorted by where they go."""

    def __init__(self, layer):
        charts = list(
            Chart.objects.shown()
            .filter(layer=layer)
            .select_related("page")
            .order_by("position", "pk")
        )
        # The layer page prefetches its sections; this reads no more rows.
        branches = {s.heading for s in layer.sections.all() if s.is_branch}
        self.by_branch = {}
        self.rest, self.pages = [], []
        for chart in charts:
            chart.layer = layer
            if chart.page is not None:
                if chart.page not in self.pages:
                    chart.page.layer = layer
                    self.pages.append(chart.page)
            elif chart.branch in branches:
                self.by_branch.setdefault(chart.branch, []).append(chart)
            else:
                self.rest.append(chart)
        self.pages.sort(key=lambda page: (page.position, page.pk))


@register.simple_tag
def charts_of(layer):
    return LayerCharts(layer)


@register.filter
def in_branch(charts, branch):
    """The charts placed under the branch section ``branch``."""
    return charts.by_branch.get(branch.heading, [])
