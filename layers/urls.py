from django.urls import path, re_path
from django.views.generic import RedirectView

from . import views

app_name = "layers"

urlpatterns = [
    path("", views.home, name="home"),
    path("layer/<slug:slug>/", views.layer_detail, name="detail"),
    # The content's own links omit the trailing slash.
    re_path(
        r"^layer/(?P<slug>[-\w]+)$",
        RedirectView.as_view(pattern_name="layers:detail", permanent=True),
    ),
]
