from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from layers.models import Layer

from .models import Development


@require_GET
def development_detail(request, layer_slug, slug):
    """A development's own page; staff also see drafts and scheduled items."""
    development = get_object_or_404(
        Development.objects.select_related("layer"), layer__slug=layer_slug, slug=slug
    )
    is_public = development.is_public
    if not is_public and not request.user.is_staff:
        raise Http404("No published development matches this address.")
    published = (
        Development.objects.published()
        .filter(layer=development.layer)
        .select_related("layer")
    )
    context = {
        "development": development,
        "layer": Layer.objects.with_current_scores().get(pk=development.layer_id),
        "is_public": is_public,
        "older": _neighbour(published, development, older=True),
        "newer": _neighbour(published, development, older=False),
    }
    response = render(request, "news/development_detail.html", context)
    if not is_public:
        # A preview must never be kept by a cache and later shown to readers.
        add_never_cache_headers(response)
    return response


def _neighbour(published, development, older):
    """The published development just before or after this one in time."""
    when, pk = development.published_at, development.pk
    if older:
        before = Q(published_at__lt=when) | Q(published_at=when, pk__lt=pk)
        return published.filter(before).order_by("-published_at", "-pk").first()
    after = Q(published_at__gt=when) | Q(published_at=when, pk__gt=pk)
    return published.filter(after).order_by("published_at", "pk").first()
