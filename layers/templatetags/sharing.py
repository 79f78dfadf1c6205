"""Tags for the page's address and the tags that link and share pages."""

from django import template
from django.conf import settings
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.utils.encoding import escape_uri_path, iri_to_uri
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from layers import social

register = template.Library()

# Query parameters that change what a page shows; the canonical address keeps
# these and drops the rest (tracking tags and the like). Page 1 is the page
# without a number.
CANONICAL_PARAMS = ("layer", "category", "q", "as_of", "page")


def absolute_url(request, path):
    """``path`` on the site's own address: SITE_URL if set, else the request's."""
    if settings.SITE_URL:
        return iri_to_uri(settings.SITE_URL.rstrip("/") + path)
    if request is None:
        return iri_to_uri(path)
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:
        # The 400 page for a forged Host header still needs its links.
        return iri_to_uri(path)


@register.simple_tag(takes_context=True)
def absolute(context, path):
    return absolute_url(context.get("request"), path)


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """The page's own address, with only the parameters that matter."""
    request = context.get("request")
    if request is None:
        return absolute_url(None, "/")
    try:
        query = request.GET
    except SuspiciousOperation:
        # The 400 page for a query string too long to read.
        query = {}
    params = [
        (name, query[name])
        for name in CANONICAL_PARAMS
        if query.get(name)
        and not (name == "page" and query[name] == "1")
        # An as_of the page set aside (a future date, say) shows today's page.
        and not (name == "as_of" and not context.get("as_of"))
    ]
    path = escape_uri_path(request.path)
    if params:
        path = f"{path}?{urlencode(params)}"
    return absolute_url(request, path)


@register.simple_tag(takes_context=True)
def share_image_url(context, layer=None):
    """The picture for a layer's share card, or the site's own.

    On a page of a past day, the layer's picture is of the scores then.
    """
    if layer:
        url = social.layer_image_url(layer, context.get("as_of"))
    else:
        url = social.site_image_url()
    return absolute_url(context.get("request"), url)


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        # The output is already rendered and escaped by the template.
        context[self.name] = mark_safe(self.nodelist.render(context).strip())  # noqa: S308
        return ""


@register.tag
def capture(parser, token):
    """Render the enclosed template into a variable instead of the page.

    ``{% capture as page_title %}{% block title %}…{% endblock %}{% endcapture %}``
    lets base.html use a block that child templates fill in more than once:
    in <title> and again in the share tags.
    """
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Usage: {% capture as name %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


@register.filter
def scores_date(layer):
    """The date of the newer of a layer's two current scores."""
    return social.scores_date(layer)
