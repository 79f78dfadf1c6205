from django import template

from layers import markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return markdown.render(text)
