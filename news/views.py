from urllib.parse import urlencode

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from layers import asof
from layers.models import Layer, Score
from layers.views import chosen_layer

from .models import Development

DEVELOPMENTS_PER_PAGE = 20
# Category chips shown before the rest fold away: the most used ones.
CATEGORY_CHIPS = 8


@require_GET
def development_list(request):
    """Public developments, newest first, filtered by layer and category.

    Each filter is a query parameter, so every filtered page and every page
    of it has an address of its own. An unknown layer or category, or a page
    that does not exist, is a 404. ``?as_of=`` lists what was public at the
    end of that day, as the layer pages that link here with it do.
    """
    as_of, as_of_note = asof.for_page(request)
    published = asof.developments_on(as_of)
    layer = chosen_layer(request)
    categories = _categories(published.filter(layer=layer) if layer else published)
    wanted_category = request.GET.get("category", "")
    category = None
    if wanted_category:
        category = categories.get(wanted_category) or _categories(published).get(
            wanted_category
        )
        if category is None:
            raise Http404("No development has this category.")
        # Keep the chosen category in the list even if this layer has none.
        categories.setdefault(wanted_category, {**category, "count": 0})

    found = published.select_related("layer").newest_first()
    if layer:
        found = found.filter(layer=layer)
    if category:
        found = found.filter(category__in=category["names"])
    paginator = Paginator(found, DEVELOPMENTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(str(error)) from error

    filters = {
        "layer": layer.slug if layer else "",
        "category": wanted_category if category else "",
        asof.PARAM: as_of.isoformat() if as_of else "",
    }
    # Each filter's counts say what choosing it would list, the other kept.
    in_category = (
        published.filter(category__in=category["names"]) if category else published
    )
    layer_counts = dict(
        in_category.order_by().values_list("layer").annotate(n=Count("pk"))
    )
    context = {
        "page": page,
        "layer": layer,
        "category": category,
        "layers": [
            {
                "layer": item,
                "count": layer_counts.get(item.pk, 0),
                "query": _query(filters, layer=item.slug),
            }
            for item in Layer.objects.in_stack_order()
        ],
        **_category_filter(
            [
                {**item, "slug": slug, "query": _query(filters, category=slug)}
                for slug, item in categories.items()
            ],
            chosen=wanted_category if category else None,
        ),
        "all_layers_query": _query(filters, layer=""),
        "all_categories_query": _query(filters, category=""),
        "previous_query": page.has_previous()
        and _query(filters, page=page.previous_page_number()),
        "next_query": page.has_next() and _query(filters, page=page.next_page_number()),
        "is_filtered": bool(layer or category),
        **asof.context(as_of, as_of_note),
    }
    return asof.noindex(render(request, "news/development_list.html", context), as_of)


@require_GET
def layer_developments(request, layer_slug):
    """/news/<layer>/ is the news list filtered by that layer."""
    return redirect(layer_news_url(get_object_or_404(Layer, slug=layer_slug)))


def layer_news_url(layer):
    """The news list filtered by ``layer``."""
    return f"{reverse('news:list')}?{urlencode({'layer': layer.slug})}"


def category_slug(name):
    """The address form of a category: "Supply Chain" is "supply-chain"."""
    return slugify(name, allow_unicode=True) or "other"


@require_GET
def development_detail(request, layer_slug, slug):
    """A development's own page; staff also see drafts and scheduled items."""
    development = get_object_or_404(
        Development.objects.select_related("layer").prefetch_related(
            Prefetch(
                "scores",
                queryset=Score.objects.with_previous_value()
                .select_related("layer")
                .order_by("as_of", "pk"),
                to_attr="linked_scores",
            )
        ),
        layer__slug=layer_slug,
        slug=slug,
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


def _categories(developments):
    """Map each category's slug to its name, spellings and count.

    Categories are typed by editors, so "Supply chain" and "Supply Chain"
    share one slug and one filter.
    """
    found = {}
    rows = developments.order_by().values_list("category").annotate(n=Count("pk"))
    for name, count in rows:
        slug = category_slug(name)
        item = found.setdefault(slug, {"name": name, "names": [], "count": 0})
        item["names"].append(name)
        item["count"] += count
    return found


def _category_filter(categories, chosen):
    """Split the categories into the chips shown and the ones folded away.

    The chips are the most used categories, and the chosen one wherever it
    ranks; the rest follow in a disclosure, in alphabetical order. A short
    list is shown whole.
    """
    by_name = sorted(categories, key=lambda item: item["name"].casefold())
    by_use = sorted(by_name, key=lambda item: -item["count"])
    if len(categories) <= CATEGORY_CHIPS + 2:
        return {"categories": by_use, "more_categories": []}
    shown = by_use[:CATEGORY_CHIPS]
    shown += [item for item in by_use[CATEGORY_CHIPS:] if item["slug"] == chosen]
    slugs = {item["slug"] for item in shown}
    return {
        "categories": shown,
        "more_categories": [item for item in by_name if item["slug"] not in slugs],
    }


def _query(filters, page=None, **changes):
    """The query string for the news list with ``changes`` made to it."""
    params = {**filters, **changes}
    if page and page > 1:
        params["page"] = page
    query = urlencode({key: value for key, value in params.items() if value})
    return f"?{query}" if query else ""
