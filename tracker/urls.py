from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import TemplateView

from layers import methodology, search, social
from layers.api import api, unknown_endpoint
from news import feeds

from .sitemaps import SITEMAPS

feed_patterns = [
    path("", feeds.index, name="index"),
    path("developments.rss", feeds.DevelopmentsFeed(), name="rss"),
    path("developments.atom", feeds.DevelopmentsAtomFeed(), name="atom"),
    path("layer/<slug:slug>.rss", feeds.LayerFeed(), name="layer-rss"),
    path("layer/<slug:slug>.atom", feeds.LayerAtomFeed(), name="layer-atom"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("news/", include("news.urls")),
    path("feeds/", include((feed_patterns, "feeds"))),
    path("search/", search.results, name="search"),
    path("data/", include("layers.downloads")),
    path("api/v1/", api.urls),
    # Anything else under the API is answered in JSON, not with the HTML 404.
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_endpoint),
    path("methodology/", methodology.methodology, name="methodology"),
    path("social.png", social.site_image, name="social-image"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("layers.urls")),
    # After the layers: a chart page lives at /layer/<layer>/<page>/.
    path("", include("charts.urls")),
]
