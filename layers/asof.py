"""Viewing the tracker as it stood at the end of a past day (``?as_of=``).

Shared by the pages, the comparison partials, the embeds, the API and the
downloads. Everything here takes an ``as_of`` date or None; None means now.

- ``parse_as_of(request)`` reads ``?as_of=YYYY-MM-DD`` and never raises: a
  malformed, future or absurd date gives ``(None, note)``, where ``note`` is a
  short sentence a page can show; no parameter gives ``(None, None)``.
- ``end_of_day(day)`` is the last moment of ``day`` in ``settings.TIME_ZONE``.
- ``scores_on(as_of)`` / ``layers_on(as_of)`` / ``developments_on(as_of)``
  are the querysets as they stood at the end of that day.
"""

import datetime as dt
from urllib.parse import unquote_plus

from django.utils import dateformat, timezone

PARAM = "as_of"
# Nothing on the tracker predates this; earlier dates are treated as typos.
EARLIEST = dt.date(2000, 1, 1)

MALFORMED = "That date could not be read, so today's scores are shown instead."
FUTURE = "{day} is in the future, so today's scores are shown instead."
ABSURD = "That date is too long ago, so today's scores are shown instead."


def today():
    """Today's date in the site's time zone."""
    return timezone.localdate()


def parse_date(value):
    """(date|None, note|None) for a raw ``YYYY-MM-DD`` string; never raises."""
    if value is None:
        return None, None
    value = str(value).strip()
    if not value:
        return None, None
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None, MALFORMED
    # fromisoformat also accepts 20260630 and 2026-W26-2; ask for the usual form.
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None, MALFORMED
    if day < EARLIEST:
        return None, ABSURD
    if day > today():
        # The date is named: the reader may have mistyped the year.
        return None, FUTURE.format(day=dateformat.format(day, "j F Y"))
    return day, None


def parse_as_of(request):
    """Read ``?as_of=YYYY-MM-DD``: (date, None), (None, note) or (None, None).

    Today's date is accepted and returned as a date (the end of today is after
    now, so the page shows what is public now, but bannered as of today).
    """
    try:
        raw = request.GET.get(PARAM)
    except Exception:  # noqa: BLE001 - e.g. TooManyFieldsSent on a long link
        raw = _from_query_string(request.META.get("QUERY_STRING", ""))
    return parse_date(raw)


def _from_query_string(query_string):
    """The first ``as_of`` in a raw query string, read without field limits."""
    for pair in query_string.split("&"):
        name, _, value = pair.partition("=")
        if unquote_plus(name) == PARAM:
            return unquote_plus(value)
    return None


def for_page(request):
    """(as_of, note) for a page: like parse_as_of, but today counts as now.

    A reader who picks today's date in the date picker gets today's page,
    not one bannered as historical.
    """
    as_of, note = parse_as_of(request)
    if as_of is not None and as_of >= today():
        as_of = None
    return as_of, note


def context(as_of, note=None):
    """Template context every as-of-aware page shares (see the banner)."""
    return {"as_of": as_of, "as_of_note": note, "as_of_query": query_string(as_of)}


def end_of_day(day):
    """The last moment of ``day`` in the site's time zone, as an aware datetime."""
    naive = dt.datetime.combine(day, dt.time.max)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def cutoff(as_of):
    """The moment ``as_of`` stands for: end of that day, or now for None.

    Never later than now, so an as-of of today does not show items scheduled
    for later today.
    """
    now = timezone.now()
    if as_of is None:
        return now
    return min(end_of_day(as_of), now)


def scores_on(as_of=None, queryset=None):
    """Scores that existed at the end of ``as_of`` (all scores for None)."""
    from .models import Score

    qs = Score.objects.all() if queryset is None else queryset
    if as_of is not None:
        qs = qs.filter(as_of__lte=as_of)
    return qs


def layers_on(as_of=None, queryset=None):
    """Layers in stack order, annotated with the scores current on ``as_of``."""
    from .models import Layer

    qs = Layer.objects.all() if queryset is None else queryset
    return qs.with_current_scores(as_of=as_of)


def developments_on(as_of=None, queryset=None):
    """Developments a reader could see at the end of ``as_of`` (now for None)."""
    from news.models import Development

    qs = Development.objects.all() if queryset is None else queryset
    return qs.published(now=cutoff(as_of))


def first_score_date(scores=None):
    """The earliest date among ``scores`` (all of the tracker's), or None."""
    from .models import Score

    scores = Score.objects.all() if scores is None else scores
    return scores.order_by("as_of").values_list("as_of", flat=True).first()


def noindex(response, as_of):
    """Keep a page of a past day out of search results: today's is the one."""
    if as_of is not None:
        response["X-Robots-Tag"] = "noindex"
    return response


def query_string(as_of):
    """``?as_of=YYYY-MM-DD`` for links that keep the reader on that date."""
    return f"?{PARAM}={as_of.isoformat()}" if as_of else ""
