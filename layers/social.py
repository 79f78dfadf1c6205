"""The pictures shown where a page is shared: one per layer and one site-wide.

Each is a 1200 × 630 PNG drawn with Pillow. Pages link to a picture with a
``?v=`` version made from what it draws, so a new score gives a new address
and no share card keeps showing the old bars. The version is also the
picture's ETag. A layer's page of a past day (``?as_of=``) links to the
picture of the scores that stood on that day, with the same parameter.
"""

import hashlib
import io
from functools import cache as memoize
from pathlib import Path

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.views.decorators.http import condition, require_GET
from PIL import Image, ImageDraw, ImageFont

from . import asof
from .models import EVEN, SCORE_MAX, Layer, Side

WIDTH, HEIGHT = 1200, 630
# Change this when the drawing changes, so cached pictures are drawn again.
DRAWING = "1"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
}
# The site's light colours (static/css/site.css).
PAPER = "#f6f4ef"
INK = "#15181d"
MUTED = "#5b6370"
TRACK = "#e7e3da"
TICK = "#b9b3a6"
COLOURS = {Side.US.label: "#1d5fa6", Side.CHINA.label: "#c23b26", EVEN: "#5b6370"}
INKS = {Side.US.label: "#174e8a", Side.CHINA.label: "#a8311f", EVEN: MUTED}
MARGIN = 80
# Rendered pictures are kept this long; a new version is a new entry.
CACHE_SECONDS = 24 * 60 * 60
# An address with the current version never changes.
LONG_MAX_AGE = 365 * 24 * 60 * 60
SHORT_MAX_AGE = 5 * 60


def layer_version(layer):
    """A short digest of everything the layer's picture shows.

    ``layer`` comes from ``Layer.objects.with_current_scores()``, so pages
    that show a layer already hold all it needs.
    """
    drawn = (
        layer.name,
        layer.position,
        layer.us_score,
        layer.china_score,
        scores_date(layer),
    )
    return _digest(drawn)


def site_version():
    return _digest(("site",))


def layer_image_url(layer, as_of=None):
    """The picture of ``layer``'s scores, which stood on ``as_of`` if given."""
    path = reverse("layers:social-image", args=[layer.slug])
    day = asof.query_string(as_of).removeprefix("?")
    return f"{path}?{day + '&' if day else ''}v={layer_version(layer)}"


def site_image_url():
    return f"{reverse('social-image')}?v={site_version()}"


def _shown_layer(request, slug):
    """The layer with the scores current now, or on the ``?as_of=`` day."""
    as_of, _note = asof.for_page(request)
    return get_object_or_404(Layer.objects.with_current_scores(as_of=as_of), slug=slug)


def _layer_etag(request, slug):
    try:
        return layer_version(_shown_layer(request, slug))
    except Http404:
        return None


@require_GET
@condition(etag_func=_layer_etag)
def layer_image(request, slug):
    layer = _shown_layer(request, slug)
    version = layer_version(layer)
    png = cache.get_or_set(
        f"social-image:layer:{version}", lambda: draw_layer(layer), CACHE_SECONDS
    )
    return _png_response(request, png, version)


@require_GET
@condition(etag_func=lambda request: site_version())
def site_image(request):
    version = site_version()
    png = cache.get_or_set(f"social-image:site:{version}", draw_site, CACHE_SECONDS)
    return _png_response(request, png, version)


def draw_layer(layer):
    """The layer's name, both sides' scores as bars, and the leader."""
    image, draw = _canvas()
    draw.text(
        (MARGIN, 58),
        f"THE AI STACK TRACKER  ·  LAYER {layer.position}",
        font=_font("sans-bold", 24),
        fill=MUTED,
    )
    name_font, lines = _fit(draw, layer.name, "serif-bold", (84, 72, 60), 2)
    y = 100
    for line in lines:
        draw.text((MARGIN, y), line, font=name_font, fill=INK)
        y += int(name_font.size * 1.15)

    bar_top = max(y + 40, 290)
    for row, (side, value) in enumerate(
        ((Side.US.label, layer.us_score), (Side.CHINA.label, layer.china_score))
    ):
        _bar(draw, bar_top + row * 96, side, value)

    leader = layer.leader
    footer_y = HEIGHT - 100
    draw.line((MARGIN, footer_y - 28, WIDTH - MARGIN, footer_y - 28), fill=TICK)
    if leader is None:
        text, colour = "Not yet scored", MUTED
    elif leader == EVEN:
        text, colour = "Leader: Even", INKS[EVEN]
    else:
        text, colour = f"Leader: {leader} by {layer.gap:.1f}", INKS[leader]
    draw.text((MARGIN, footer_y), text, font=_font("sans-bold", 34), fill=colour)
    dated = scores_date(layer)
    if dated:
        when = f"Scores as of {format_date(dated, 'j F Y')}"
        font = _font("sans", 24)
        width = draw.textlength(when, font=font)
        draw.text((WIDTH - MARGIN - width, footer_y + 8), when, font=font, fill=MUTED)
    return _png(image)


def draw_site():
    """The site's name and what it does, beside its logo."""
    image, draw = _canvas()
    _logo(draw, (WIDTH - MARGIN - 300, 170), 300)
    draw.text((MARGIN, 150), "The AI Stack", font=_font("serif-bold", 96), fill=INK)
    draw.text((MARGIN, 262), "Tracker", font=_font("serif-bold", 96), fill=INK)
    font = _font("sans", 32)
    for number, line in enumerate(
        (
            "How the US & Allies and China compare",
            "on each layer of the AI stack,",
            "from critical minerals to talent.",
        )
    ):
        draw.text((MARGIN, 410 + number * 44), line, font=font, fill=MUTED)
    return _png(image)


def _png_response(request, png, version):
    response = HttpResponse(png, content_type="image/png")
    current = request.GET.get("v") == version
    max_age = LONG_MAX_AGE if current else SHORT_MAX_AGE
    response["Cache-Control"] = f"public, max-age={max_age}" + (
        ", immutable" if current else ""
    )
    return response


def _canvas():
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    # The two sides' colours across the top, as on every page of the site.
    draw.rectangle((0, 0, WIDTH // 2, 11), fill=COLOURS[Side.US.label])
    draw.rectangle((WIDTH // 2, 0, WIDTH, 11), fill=COLOURS[Side.CHINA.label])
    return image, draw


def _bar(draw, top, side, value):
    label_font = _font("sans-bold", 32)
    value_font = _font("sans-bold", 46)
    left, right, height = MARGIN + 250, WIDTH - MARGIN - 190, 44
    draw.text((MARGIN, top + 4), side, font=label_font, fill=INK)
    draw.rectangle((left, top, right, top + height), fill=TRACK)
    if value is not None:
        share = max(0.0, min(1.0, float(value) / float(SCORE_MAX)))
        if share:
            end = left + round((right - left) * share)
            draw.rectangle((left, top, end, top + height), fill=COLOURS[side])
    middle = (left + right) // 2
    draw.line((middle, top, middle, top + height), fill=TICK, width=2)
    shown = "–" if value is None else f"{value:.1f}"
    draw.text((right + 28, top - 6), shown, font=value_font, fill=INKS[side])
    width = draw.textlength(shown, font=value_font)
    draw.text((right + 32 + width, top + 12), "/10", font=_font("sans", 26), fill=MUTED)


def _logo(draw, origin, size):
    """The site's logo (static/img/logo.svg), drawn at ``size`` pixels."""
    x, y = origin
    scale = size / 32

    def at(points):
        return [(x + px * scale, y + py * scale) for px, py in points]

    draw.polygon(
        at([(16, 3), (29, 9.5), (16, 16), (3, 9.5)]), fill=COLOURS[Side.US.label]
    )
    middle = [(3, 15.5), (16, 22), (29, 15.5), (25.4, 13.7), (16, 18.4), (6.6, 13.7)]
    draw.polygon(at(middle), fill=MUTED)
    base = [(x_, y_ + 6) for x_, y_ in middle]
    draw.polygon(at(base), fill=COLOURS[Side.CHINA.label])


def _fit(draw, text, face, sizes, max_lines):
    """Wrap ``text`` in the largest size that fits in ``max_lines`` lines."""
    width = WIDTH - 2 * MARGIN
    for size in sizes:
        font = _font(face, size)
        lines = _wrap(draw, text, font, width)
        if len(lines) <= max_lines:
            return font, lines
    return font, lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]


def _wrap(draw, text, font, width):
    lines = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


@memoize
def _font(face, size):
    """A DejaVu face (Debian's fonts-dejavu-core), else Pillow's own font."""
    path = FONT_DIR / FONTS[face]
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def scores_date(layer):
    """The date of the newer of the layer's two current scores, if any."""
    dates = [d for d in (layer.us_as_of, layer.china_as_of) if d]
    return max(dates, default=None)


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _digest(values):
    text = repr((DRAWING, *values))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
