import math
from datetime import timedelta
from urllib.parse import unquote_plus

from django import template
from django.db.models import Max
from django.utils import timezone
from django.utils.timesince import timesince

from layers import compute, markdown
from layers.models import EVEN, SCORE_MAX, Score, Side

register = template.Library()

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# From here up a figure reads better as a power of ten than with commas.
SCIENTIFIC_FROM = 1e9


@register.filter(name="markdown")
def markdown_filter(text):
    return markdown.render(text)


@register.filter
def markdown_text(text):
    """Markdown as plain text that the template escapes, e.g. for a meta tag."""
    return markdown.to_text(text)


@register.filter
def age(value, now=None):
    """Say how long ago ``value`` was in one unit: "today", "3 weeks ago"."""
    if value is None:
        return ""
    now = now or timezone.now()
    if now - value < timedelta(days=1):
        return "today"
    return timesince(value, now, depth=1).replace("\xa0", " ") + " ago"


@register.filter
def score(value):
    """Format a 0–10 score with one decimal, or an en dash when unscored."""
    if value is None:
        return "–"
    return f"{value:.1f}"


@register.filter
def bar_length(value):
    """Return a score as a percentage of the scale, for an SVG width."""
    if value is None:
        return "0"
    share = max(0, min(100, float(value) / float(SCORE_MAX) * 100))
    return f"{share:g}"


@register.filter
def leader_key(leader):
    """Name the CSS modifier for a leader: "us", "china", "even" or "none"."""
    keys = {Side.US.label: "us", Side.CHINA.label: "china", EVEN: "even"}
    return keys.get(leader, "none")


@register.filter
def change(current, previous):
    """Describe a score's move since the previous assessment."""
    if current is None or previous is None:
        return ""
    delta = current - previous
    if not delta:
        return "unchanged"
    return f"{'up' if delta > 0 else 'down'} {abs(delta):.1f}"


@register.filter
def figure(value):
    """Format a MetricValue's figure with its unit, or say there is none."""
    if value is None or value.is_missing:
        return "no public figure"
    if value.text:
        number = compute.readable_numbers(value.text, value.unit)
    elif value.high is None or value.high == value.low:
        number = _number(value.low)
    else:
        number = _range(value.low, value.high)
    unit = value.unit.strip()
    if not unit or value.text:
        return number
    if unit == "%":
        return f"{number}%"
    if unit.startswith("US$"):
        return f"US${number}{unit[3:]}"
    return f"{number} {unit}"


@register.filter
def readable_numbers(text, unit=""):
    """Write numbers typed in e-notation in a note as people read them."""
    return compute.readable_numbers(text, unit)


@register.simple_tag(takes_context=True)
def scores_dated(context):
    """Return the date of the newest score on the site, for the footer.

    On a page of a past day (``as_of`` in the context), the newest score then.
    """
    scores = Score.objects.all()
    if as_of := context.get("as_of"):
        scores = scores.filter(as_of__lte=as_of)
    return scores.aggregate(latest=Max("as_of"))["latest"]


@register.filter
def with_as_of(url, as_of):
    """Add ``?as_of=`` to a link, so a reader of a past day stays on it."""
    if not as_of:
        return url
    url, hash_, fragment = str(url).partition("#")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}as_of={as_of.isoformat()}{hash_}{fragment}"


@register.filter
def without_as_of(url):
    """The same link on today's tracker: ``as_of`` dropped, the rest kept."""
    path, _, query = str(url).partition("?")
    kept = [pair for pair in query.split("&") if pair and not _is_as_of(pair)]
    return f"{path}?{'&'.join(kept)}" if kept else path


def _is_as_of(pair):
    return unquote_plus(pair.partition("=")[0]) == "as_of"


def _number(x):
    if abs(x) >= SCIENTIFIC_FROM:
        mantissa, exponent = _split(x)
        return f"{mantissa:g} × 10{str(exponent).translate(SUPERSCRIPTS)}"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.3g}" if abs(x) < 1 else f"{x:,.2f}".rstrip("0").rstrip(".")


def _range(low, high):
    """Write a range once, both ends to the same number of decimals."""
    if abs(high) >= SCIENTIFIC_FROM:
        high_m, exponent = _split(high)
        low_m = round(low / 10**exponent, 3)
        if abs(low_m) >= 0.1:
            places = max(_decimals(f"{low_m:g}"), _decimals(f"{high_m:g}"))
            power = str(exponent).translate(SUPERSCRIPTS)
            return f"{low_m:.{places}f}–{high_m:.{places}f} × 10{power}"
        return f"{_number(low)} to {_number(high)}"
    low_text, high_text = _number(low), _number(high)
    places = max(_decimals(low_text), _decimals(high_text))
    if places:
        low_text, high_text = f"{low:,.{places}f}", f"{high:,.{places}f}"
    return f"{low_text}–{high_text}"


def _decimals(text):
    return len(text.partition(".")[2])


def _split(x):
    exponent = math.floor(math.log10(abs(x)))
    return round(x / 10**exponent, 3), exponent


@register.filter
def iso_datetime(value):
    """A moment as HTML's datetime attribute reads it: local, whole seconds."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()
