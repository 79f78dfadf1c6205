"""RSS and Atom feeds of the developments, site-wide and for each layer.

Every feed asks ``published()`` at the moment it is requested, so drafts and
items scheduled for later never reach a feed reader early.

A development whose source gives no date (readers see "Recent") still needs
one in a feed. It gets the day it was published at midnight: a day, not a
moment. For an imported one that is the content's as-of date, whenever the
import ran. Its text says the date is not known.
"""

import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html
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
# The save that creates a row sets its two times a few microseconds apart; a
# later edit is one made after this.
EDIT_AFTER = datetime.timedelta(seconds=1)


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
        body = render_markdown(item.body) + source_line(item)
        if item.date_is_known:
            return body
        day = format_date(self.item_pubdate(item), "j F Y")
        note = format_html(
            "<p><em>The source gives no date: listed as recent on {}.</em></p>", day
        )
        return note + body

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return tag_uri(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        published = timezone.localtime(item.published_at)
        if item.date_is_known:
            return published
        return published.replace(hour=0, minute=0, second=0, microsecond=0)

    def item_updateddate(self, item):
        # Neither the save that created the item (an import, say) nor an edit
        # made before it went out changes what readers of the feed saw.
        edited = item.updated_at - item.created_at > EDIT_AFTER
        if edited and item.updated_at > item.published_at:
            return timezone.localtime(item.updated_at)
        return self.item_pubdate(item)

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


def source_line(development):
    """A "Source: …" paragraph, linked when there is a link; empty without."""
    if not development.has_source:
        return ""
    if development.source_url:
        return format_html(
            '<p>Source: <a href="{}">{}</a></p>',
            development.source_url,
            development.source_label,
        )
    return format_html("<p>Source: {}</p>", development.source_label)


def tag_uri(development):
    """Return a tag: URI (RFC 4151) that names ``development`` for good.

    It is built from what never changes, the primary key and the day the row
    was created, so a feed reader keeps the item read when its title, slug or
    address changes, or when the site moves to another domain.
    """
    created = timezone.localtime(development.created_at).date()
    return f"tag:{TAG_AUTHORITY},{created:%Y-%m-%d}:development/{development.pk}"
