"""RSS and Atom feeds of the developments, site-wide and for each layer.

Every feed asks ``published()`` at the moment it is requested, so drafts and
items scheduled for later never reach a feed reader early.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.views.decorators.http import require_GET

from layers.markdown import render as render_markdown
from layers.models import Layer

from .models import Development

# Enough for a reader that checks once a week; older items stay on the site.
FEED_LENGTH = 50
# Names the tracker in every item's permanent ID. Changing it would make feed
# readers show every item again as new, so it is neither a setting nor the
# site's domain, which may change.
TAG_AUTHORITY = "ai-stack-tracker"


@require_GET
def index(request):
    """List every feed, site-wide first, then one per layer."""
    context = {"layers": Layer.objects.in_stack_order()}
    return render(request, "feeds.html", context)


class DevelopmentsFeed(Feed):
    """The newest public developments on every layer."""

    feed_type = Rss201rev2Feed

    def author_name(self):
        return settings.SITE_NAME

    def title(self):
        return f"{settings.SITE_NAME}: developments"

    def link(self):
        return reverse("layers:home")

    def description(self):
        return (
            "New developments on every layer of the AI stack, from critical "
            "minerals to talent, as the tracker publishes them."
        )

    def items(self):
        return self.developments()[:FEED_LENGTH]

    def developments(self):
        return Development.objects.published().select_related("layer").newest_first()

    def item_title(self, item):
        # Plain text, escaped once by the XML writer. Django's default escapes
        # it again for old readers, and newer ones then show "&amp;".
        return item.title

    def item_description(self, item):
        return render_markdown(item.body)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return tag_uri(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return timezone.localtime(item.published_at)

    def item_updateddate(self, item):
        # A scheduled item may have been edited before it went out.
        return timezone.localtime(max(item.published_at, item.updated_at))

    def item_categories(self, item):
        return (item.category, item.layer.name)


class DevelopmentsAtomFeed(DevelopmentsFeed):
    feed_type = Atom1Feed
    subtitle = DevelopmentsFeed.description


class LayerFeed(DevelopmentsFeed):
    """The newest public developments on one layer."""

    def get_object(self, request, slug):
        return Layer.objects.get(slug=slug)

    def title(self, layer):
        return f"{settings.SITE_NAME}: {layer.name}"

    def link(self, layer):
        return layer.get_absolute_url()

    def description(self, layer):
        return f"New developments on the {layer.name} layer of the AI stack."

    def items(self, layer):
        return self.developments().filter(layer=layer)[:FEED_LENGTH]


class LayerAtomFeed(LayerFeed):
    feed_type = Atom1Feed
    subtitle = LayerFeed.description


def tag_uri(development):
    """Return a tag: URI (RFC 4151) that names ``development`` for good.

    It is built from what never changes, the primary key and the day the row
    was created, so a feed reader keeps the item read when its title, slug or
    address changes, or when the site moves to another domain.
    """
    created = timezone.localtime(development.created_at).date()
    return f"tag:{TAG_AUTHORITY},{created:%Y-%m-%d}:development/{development.pk}"
