"""Filters and tags for the reader widgets (templates/layers/widgets/)."""

from django import template

from layers import compute

register = template.Library()

ACCELERATORS_A_YEAR = "accelerators a year"


@register.simple_tag
def weakest_links(stack):
    """Each side's column for the weakest-link chart, from the loaded stack."""
    return compute.weakest_links(stack)


@register.filter
def side_change(layer, side):
    """Say how a side's score moved since the previous one."""
    current = getattr(layer, f"{side}_score")
    previous = getattr(layer, f"{side}_previous")
    if current is None:
        return "not yet scored"
    if previous is None:
        return "first score"
    delta = current - previous
    if not delta:
        return "unchanged"
    return f"{'up' if delta > 0 else 'down'} {abs(delta):.1f}"


@register.filter
def change_direction(layer, side):
    """Name the CSS modifier for a side's move: "up", "down" or "flat"."""
    current = getattr(layer, f"{side}_score")
    previous = getattr(layer, f"{side}_previous")
    if current is None or previous is None or current == previous:
        return "flat"
    return "up" if current > previous else "down"


@register.filter
def amount(value, factor):
    """Write an input of the effective-compute module in its own terms."""
    if value is None:
        return ""
    if factor.key == "units-shipped":
        return compute.count(value)
    if factor.key == "peak-flops":
        return compute.with_prefix(value, "FLOP/s", digits=3)
    return f"{compute.significant(value * 100, 3)}%"


@register.filter
def readable(value, step):
    """Write a running product as people read it: "3.3 ZFLOP/s"."""
    if value is None:
        return ""
    if not step.is_flops:
        return f"{compute.count(value)} {ACCELERATORS_A_YEAR}"
    return compute.with_prefix(value, "FLOP/s")


@register.filter
def product_range(side, step):
    """Write the range a running product spans, once and with one unit:
    "200,000–300,000 accelerators a year", "160–240 EFLOP/s"."""
    if not side.is_range:
        return ""
    if step.is_flops:
        return compute.prefix_span(side.low, side.high, "FLOP/s")
    return f"{compute.count_span(side.low, side.high)} {ACCELERATORS_A_YEAR}"


@register.filter
def powers_of_ten(value, step):
    """Write a running product as "3.3 × 10²¹ FLOP/s"."""
    if value is None:
        return ""
    return compute.scientific(value, "FLOP/s" if step.is_flops else "")


@register.filter
def times(ratio):
    return compute.times(ratio) if ratio is not None else ""


@register.filter
def bar_width(share):
    """A share of 0–100 as an SVG width, never too thin to see if above 0."""
    if not share:
        return "0"
    return f"{max(float(share), 0.6):.2f}".rstrip("0").rstrip(".")


@register.filter
def percent(share):
    """A share from 0 to 1 as a whole percentage."""
    if share is None:
        return "–"
    return f"{share * 100:.0f}%"
