"""Links into the news list, filtered as a reader would filter it."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from news import views

register = template.Library()


@register.filter
def category_news_url(category):
    """The news list of one category: "Supply Chain" is ?category=supply-chain."""
    query = urlencode({"category": views.category_slug(category)})
    return f"{reverse('news:list')}?{query}"


register.filter("layer_news_url", views.layer_news_url)
