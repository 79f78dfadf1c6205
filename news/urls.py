from django.urls import path, register_converter

from . import views


class UnicodeSlugConverter:
    """A slug that may hold letters of any script, as Development.slug does."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(UnicodeSlugConverter, "unicode_slug")

app_name = "news"

urlpatterns = [
    path("", views.development_list, name="list"),
    path("<slug:layer_slug>/", views.layer_developments, name="layer"),
    path(
        "<slug:layer_slug>/<unicode_slug:slug>/",
        views.development_detail,
        name="detail",
    ),
]
