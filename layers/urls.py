from django.urls import path, re_path
from django.views.generic import RedirectView

from . import social, views, widgets

app_name = "layers"

urlpatterns = [
    path("", views.home, name="home"),
    path("layer/<slug:slug>/", views.layer_detail, name="detail"),
    path("layer/<slug:slug>/social.png", social.layer_image, name="social-image"),
    path("changes/", views.changes, name="changes"),
    path("weigh/", widgets.weigh, name="weigh"),
    path("weakest-link/", widgets.weakest_link, name="weakest_link"),
    path("layer/<slug:slug>/comparison/", widgets.comparison, name="comparison"),
    path("embed/layer/<slug:slug>/", views.embed, name="embed"),
    path(
        "layer/<slug:slug>/effective-compute/",
        widgets.effective_compute,
        name="effective_compute",
    ),
    # The content's own links omit the trailing slash.
    re_path(
        r"^layer/(?P<slug>[-\w]+)$",
        RedirectView.as_view(pattern_name="layers:detail", permanent=True),
    ),
]
