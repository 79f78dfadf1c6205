from django.urls import path

from . import views

app_name = "charts"

urlpatterns = [
    path("charts/<slug:slug>.csv", views.table_csv, name="csv"),
    path("charts/<slug:slug>/", views.detail, name="detail"),
    # After the layer's own addresses, which tracker/urls.py includes first.
    path("layer/<slug:layer>/<slug:slug>/", views.page, name="page"),
]
