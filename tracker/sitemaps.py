"""The sitemap: every public page, with the time its content last changed.

The items are read when the sitemap is requested, so a development scheduled
for later appears only once its publish time has passed.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Greatest
from django.urls import NoReverseMatch, reverse

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
    """The pages that are not a layer or a development."""

    # URL names; a page that is not part of the site yet is left out.
    names = ("layers:home", "layers:changes", "news:list", "feeds:index", "methodology")
    changefreq = "daily"

    def items(self):
        return [name for name in self.names if _url(name)]

    def location(self, name):
        return _url(name)

    def lastmod(self, name):
        if name == "layers:home":
            return _whole_seconds(home_last_changed())
        if name == "layers:changes":
            return _whole_seconds(_latest(Score.history.model, "history_date"))
        if name == "feeds:index":
            return _whole_seconds(_latest(Layer, "updated_at"))
        if name == "news:list":
            public = Development.objects.published()
            return _whole_seconds(
                public.aggregate(latest=Max("published_at"))["latest"]
            )
        if name == "methodology":
            return _whole_seconds(_latest(Page, "updated_at", slug=Page.METHODOLOGY))
        return None

    def priority(self, name):
        return 1.0 if name == "layers:home" else 0.5


SITEMAPS = {
    "pages": PageSitemap,
    "layers": LayerSitemap,
    "developments": DevelopmentSitemap,
}


def layers_with_changes():
    """Layers in stack order, each with ``last_changed``: when what a reader
    sees on its page last changed.

    That is the latest of the layer's own edits, its scores (added, corrected
    or removed), its sections, metrics and figures (from their history), and
    its public developments.
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
        development_changed=_newest(public, "changed"),
    )
    found = list(layers)
    for item in found:
        item.last_changed = max(
            moment
            for moment in (
                item.updated_at,
                item.score_added,
                item.score_edited,
                item.section_edited,
                item.metric_edited,
                item.figure_edited,
                item.development_changed,
            )
            if moment is not None
        )
    return found


def home_last_changed():
    """The home page shows every layer's scores and the State of the Stack."""
    times = [layer.last_changed for layer in layers_with_changes()]
    times.append(_latest(Page, "updated_at", slug=Page.STATE_OF_THE_STACK))
    return max((t for t in times if t is not None), default=None)


def _newest(queryset, field):
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def _latest(model, field, **lookups):
    return model.objects.filter(**lookups).aggregate(latest=Max(field))["latest"]


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _whole_seconds(moment):
    return moment.replace(microsecond=0) if moment is not None else None
