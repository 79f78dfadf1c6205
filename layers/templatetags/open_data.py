"""Links to the downloads, and each side's current score for the score card."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from layers.models import Side

register = template.Library()


@register.simple_tag
def data_url(dataset=None, extension=None, layer=None, as_of=None):
    """A download's address, narrowed to ``layer`` and ``as_of`` if given.

    With no dataset, the zip of everything.
    """
    if dataset is None:
        url = reverse("data:zip")
    else:
        url = reverse("data:download", args=[dataset, extension])
    query = {}
    if layer is not None:
        query["layer"] = layer.slug
    if as_of:
        query["as_of"] = as_of.isoformat()
    return f"{url}?{urlencode(query)}" if query else url


@register.simple_tag
def current_assessments(scores, as_of=None):
    """Each side's current score from ``scores`` (already fetched), US first.

    With ``as_of``, the scores as they stood at the end of that day.
    """
    current = {}
    for score in scores:
        if as_of and score.as_of > as_of:
            continue
        best = current.get(score.side)
        if best is None or (score.as_of, score.pk) > (best.as_of, best.pk):
            current[score.side] = score
    return [current[side] for side in (Side.US, Side.CHINA) if side in current]
