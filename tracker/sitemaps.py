"""The sitemap: every public page, with the time its content last changed.

The items are read when the sitemap is requested, so a development scheduled
for later, or a chart page whose charts are all hidden, appears only once it
is public.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, Subquery
from django.db.models.functions import Greatest
from django.urls import NoReverseMatch, reverse

from charts.models import Chart, ChartPage
from layers.compute import FACTOR_KEYS
from layers.models import Layer, Metric, MetricValue, Page, Score, Section
from news.models import Development


class LayerSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return layers_with_changes()

    def lastmod(self, layer):
        return _whole_seconds(layer.last_changed)


class DevelopmentSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return (
            Development.objects.published()
            .select_related("layer")
            .annotate(changed=Greatest("published_at", "updated_at"))
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, development):
        return _whole_seconds(development.changed)


class PageSitemap(Sitemap):
    """The pages that are not a layer, a development or a chart."""

    # URL names; a page that is not part of the site yet is left out.
    names = (
        "layers:home",
        "layers:changes",
        "layers:weigh",
        "layers:weakest_link",
        "news:list",
        "feeds:index",
        "methodology",
        "data:index",
        "api-v1:openapi-view",
    )
    changefreq = "daily"

    def items(self):
        return [name for name in self.names if _url(name)]

    def location(self, name):
        return _url(name)

    def lastmod(self, name):
        return _whole_seconds(self._last_changed(name))

    def _last_changed(self, name):
        if name == "layers:home":
            return home_last_changed()
        if name == "layers:changes":
            return _latest(Score.history.model, "history_date")
        if name in ("layers:weigh", "layers:weakest_link"):
            # Every layer's name, place and current scores.
            return _newest_of(
                _latest(Layer.history.model, "history_date"),
                _latest(Score.history.model, "history_date"),
            )
        if name == "feeds:index":
            return _latest(Layer, "updated_at")
        if name == "news:list":
            public = Development.objects.published()
            return public.aggregate(latest=Max("published_at"))["latest"]
        if name == "methodology":
            return methodology_last_changed()
        if name == "data:index":
            return data_last_changed()
        # The API's documentation changes with the code, not the content.
        return None

    def priority(self, name):
        return 1.0 if name == "layers:home" else 0.5


class ModuleSitemap(Sitemap):
    """Each layer's comparison page, and its effective-compute page if any."""

    changefreq = "weekly"
    priority = 0.4

    def items(self):
        found = []
        for layer in layers_with_changes():
            found.append(("layers:comparison", layer))
            if layer.has_effective_compute:
                found.append(("layers:effective_compute", layer))
        return found

    def location(self, item):
        name, layer = item
        return reverse(name, args=[layer.slug])

    def lastmod(self, item):
        name, layer = item
        if name == "layers:comparison":
            parts = (layer.updated_at, layer.score_added, layer.score_edited)
        else:
            parts = (layer.updated_at, layer.metric_edited, layer.figure_edited)
        return _whole_seconds(_newest_of(*parts))


class ChartSitemap(Sitemap):
    """The chart pages that show a chart, then each shown chart's own page."""

    changefreq = "monthly"
    priority = 0.4

    def items(self):
        page = OuterRef("pk")
        pages = (
            ChartPage.objects.filter(Exists(Chart.objects.shown().filter(page=page)))
            .select_related("layer")
            .annotate(
                chart_edited=_newest(
                    Chart.history.model.objects.filter(page=page), "history_date"
                )
            )
            .order_by("layer__position", "position", "pk")
        )
        charts = (
            Chart.objects.shown()
            .select_related("layer")
            .order_by("layer__position", "page_id", "position", "pk")
        )
        return [*pages, *charts]

    def location(self, item):
        if isinstance(item, Chart):
            return reverse("charts:detail", args=[item.slug])
        return item.get_absolute_url()

    def lastmod(self, item):
        if isinstance(item, Chart):
            return _whole_seconds(item.updated_at)
        return _whole_seconds(_newest_of(item.updated_at, item.chart_edited))


SITEMAPS = {
    "pages": PageSitemap,
    "layers": LayerSitemap,
    "modules": ModuleSitemap,
    "charts": ChartSitemap,
    "developments": DevelopmentSitemap,
}


def layers_with_changes():
    """Layers in stack order, each with ``last_changed``: when what a reader
    sees on its page last changed.

    That is the latest of the layer's own edits, its scores (added, corrected
    or removed), its sections, metrics and figures (from their history), its
    charts and chart pages, and its public developments. Each part is kept
    too (``score_edited``, ``figure_edited``…) for the pages that show only
    some of them, with ``has_effective_compute``.
    """
    layer = OuterRef("pk")
    public = (
        Development.objects.published()
        .filter(layer=layer)
        .annotate(changed=Greatest("published_at", "updated_at"))
    )
    layers = Layer.objects.in_stack_order().annotate(
        score_added=_newest(Score.objects.filter(layer=layer), "created_at"),
        score_edited=_newest(
            Score.history.model.objects.filter(layer=layer), "history_date"
        ),
        section_edited=_newest(
            Section.history.model.objects.filter(layer=layer), "history_date"
        ),
        metric_edited=_newest(
            Metric.history.model.objects.filter(layer=layer), "history_date"
        ),
        figure_edited=_newest(
            MetricValue.history.model.objects.filter(metric__layer=layer),
            "history_date",
        ),
        chart_edited=_newest(
            Chart.history.model.objects.filter(layer=layer), "history_date"
        ),
        chart_page_edited=_newest(
            ChartPage.history.model.objects.filter(layer=layer), "history_date"
        ),
        development_changed=_newest(public, "changed"),
        has_effective_compute=Exists(
            Metric.objects.filter(layer=layer, key__in=FACTOR_KEYS)
        ),
    )
    found = list(layers)
    for item in found:
        item.last_changed = _newest_of(
            item.updated_at,
            item.score_added,
            item.score_edited,
            item.section_edited,
            item.metric_edited,
            item.figure_edited,
            item.chart_edited,
            item.chart_page_edited,
            item.development_changed,
        )
    return found


def home_last_changed():
    """The home page shows every layer's scores and the State of the Stack."""
    times = [layer.last_changed for layer in layers_with_changes()]
    times.append(_latest(Page, "updated_at", slug=Page.STATE_OF_THE_STACK))
    return _newest_of(*times)


def methodology_last_changed():
    """Its text, each layer's measure, and the sources of figures and charts."""
    return _newest_of(
        _latest(Page, "updated_at", slug=Page.METHODOLOGY),
        _latest(Layer.history.model, "history_date"),
        _latest(MetricValue.history.model, "history_date"),
        _latest(Chart.history.model, "history_date"),
    )


def data_last_changed():
    """The open data: layers, scores, metrics, figures, public developments."""
    public = Development.objects.published().annotate(
        changed=Greatest("published_at", "updated_at")
    )
    return _newest_of(
        _latest(Layer.history.model, "history_date"),
        _latest(Score.history.model, "history_date"),
        _latest(Metric.history.model, "history_date"),
        _latest(MetricValue.history.model, "history_date"),
        public.aggregate(latest=Max("changed"))["latest"],
    )


def _newest(queryset, field):
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def _newest_of(*moments):
    return max((moment for moment in moments if moment is not None), default=None)


def _latest(model, field, **lookups):
    return model.objects.filter(**lookups).aggregate(latest=Max(field))["latest"]


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _whole_seconds(moment):
    return moment.replace(microsecond=0) if moment is not None else None
