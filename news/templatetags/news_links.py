"""Links into the news list, filtered as a reader would filter it."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from news.views import category_slug

register = template.Library()


@register.filter
def category_news_url(category):
    """The news list of one category: "Supply Chain" is ?category=supply-chain."""
    return f"{reverse('news:list')}?{urlencode({'category': category_slug(category)})}"


@register.filter
def layer_news_url(layer):
    return f"{reverse('news:list')}?{urlencode({'layer': layer.slug})}"
