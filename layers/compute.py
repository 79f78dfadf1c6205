"""The numbers behind the reader widgets, and how people read them.

Nothing here touches the database: every function takes rows that were
already loaded (layers annotated with their current scores, metrics with
their values prefetched) and returns plain objects for the templates.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, urlencode

from .models import EVEN, SCORE_MAX, Confidence, Side, leader_of

SIDES = (Side.US, Side.CHINA)
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
SI_PREFIXES = ("", "k", "M", "G", "T", "P", "E", "Z", "Y", "R", "Q")
ONE_DECIMAL = Decimal("0.1")
COUNT_SIZES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


# How people read big numbers


def _round(x, digits):
    """Round ``x`` half up to ``digits`` significant figures, as a Decimal."""
    number = Decimal(repr(float(x)))
    exponent = number.adjusted()
    rounded = number.quantize(Decimal(1).scaleb(exponent - digits + 1), ROUND_HALF_UP)
    if rounded.adjusted() > exponent:  # 9.96 became 10.0: one figure too many
        rounded = rounded.quantize(Decimal(1).scaleb(exponent - digits + 2))
    return rounded


def significant(x, digits=2):
    """Write ``x`` to ``digits`` significant figures, in full: "59", "3.3"."""
    if x == 0:
        return "0"
    rounded = _round(x, digits)
    decimals = max(digits - 1 - rounded.adjusted(), 0)
    return f"{rounded:,.{decimals}f}"


def _mantissa(x, digits=2):
    """Split ``x`` into a mantissa of ``digits`` figures and a power of ten."""
    rounded = _round(x, digits)
    exponent = rounded.adjusted()
    return rounded.scaleb(-exponent), exponent


def scientific(x, unit="", digits=2):
    """Write ``x`` as "3.3 × 10²¹ FLOP/s"."""
    if x == 0:
        return f"0 {unit}".strip()
    mantissa, exponent = _mantissa(x, digits)
    power = str(exponent).translate(SUPERSCRIPTS)
    return f"{mantissa:.{digits - 1}f} × 10{power} {unit}".strip()


def with_prefix(x, unit, digits=2):
    """Write ``x`` with an SI prefix on ``unit``, as "3.3 ZFLOP/s"."""
    if x == 0:
        return f"0 {unit}"
    group = _prefix_group(x, digits)
    scaled = x / 10 ** (3 * group)
    return f"{significant(scaled, digits)} {SI_PREFIXES[group]}{unit}"


def _prefix_group(x, digits):
    """Which SI prefix ``x`` takes once rounded: 0 for none, 1 for k, …"""
    exponent = _round(x, digits).adjusted()
    return min(max(exponent // 3, 0), len(SI_PREFIXES) - 1)


def _fixed(x, place):
    """Write ``x`` rounded half up to the power of ten ``place``, with commas."""
    rounded = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(place), ROUND_HALF_UP)
    return f"{rounded:,.{max(-place, 0)}f}"


def _pair(low, high, digits):
    """Write "low–high", both rounded where ``high``'s last significant figure
    falls; None if that would round ``low`` away to nothing."""
    place = _round(high, digits).adjusted() - digits + 1
    low_text = _fixed(low, place)
    if not any(c in "123456789" for c in low_text):
        return None
    return f"{low_text}–{_fixed(high, place)}"


def scientific_span(low, high, unit="", digits=2):
    """Write a range once, with one power of ten: "7.8–8.0 × 10¹⁴ FLOP/s"."""
    if low == high or high == 0:
        return scientific(high, unit, digits)
    mantissa, exponent = _mantissa(high, digits)
    pair = _pair(low / 10**exponent, float(mantissa), digits)
    if pair is None:
        return f"{scientific(low, unit, digits)} to {scientific(high, unit, digits)}"
    power = str(exponent).translate(SUPERSCRIPTS)
    return f"{pair} × 10{power} {unit}".strip()


def prefix_span(low, high, unit, digits=2):
    """Write a range once, with one prefixed unit: "160–240 EFLOP/s"."""
    if low == high or high == 0:
        return with_prefix(high, unit, digits)
    group = _prefix_group(high, digits)
    scale = 10 ** (3 * group)
    pair = _pair(low / scale, high / scale, digits)
    if pair is None:
        return f"{with_prefix(low, unit, digits)} to {with_prefix(high, unit, digits)}"
    return f"{pair} {SI_PREFIXES[group]}{unit}"


def count(x):
    """Write a count of things as people say it: "3.6 million", "250,000"."""
    for size, word in COUNT_SIZES:
        if abs(x) >= size:
            return f"{significant(x / size)} {word}"
    return f"{Decimal(repr(float(x))).quantize(Decimal(1), ROUND_HALF_UP):,}"


def count_span(low, high):
    """Write a range of counts once: "200,000–300,000", "3.2–4.0 million"."""
    if low == high:
        return count(high)
    for size, word in COUNT_SIZES:
        if abs(high) >= size:
            pair = _pair(low / size, high / size, 2)
            if pair is not None:
                return f"{pair} {word}"
            return f"{count(low)} to {count(high)}"
    return f"{_fixed(low, 0)}–{_fixed(high, 0)}"


def times(ratio):
    """Write a ratio as "55×", or "3.2×" below ten."""
    if ratio >= 10:
        return f"{Decimal(repr(ratio)).quantize(Decimal(1), ROUND_HALF_UP):,}×"
    return f"{Decimal(repr(ratio)).quantize(ONE_DECIMAL, ROUND_HALF_UP)}×"


# The weakest link


@dataclass
class WeakestRow:
    layer: object
    score: Decimal | None
    is_weakest: bool = False

    @property
    def width(self):
        """The score as a share of the scale, for an SVG width of 100."""
        if self.score is None:
            return 0.0
        share = float(self.score) / float(SCORE_MAX) * 100
        return round(max(0.0, min(100.0, share)), 2)

    @property
    def x(self):
        """Where the bar starts so that it sits in the middle of the column."""
        return round((100 - self.width) / 2, 2)


@dataclass
class WeakestColumn:
    side: str
    label: str
    rows: list[WeakestRow]
    weakest: list[WeakestRow] = field(default_factory=list)

    @property
    def score(self):
        return self.weakest[0].score if self.weakest else None


@dataclass
class WeakestLinks:
    columns: list[WeakestColumn]

    @property
    def rows(self):
        """(layer, US row, China row) for each layer, in the stack's order."""
        us, china = self.columns
        return [(a.layer, a, b) for a, b in zip(us.rows, china.rows, strict=True)]


def weakest_links(layers):
    """Find each side's lowest-scored layers (ties included).

    ``layers`` are annotated with their current scores; unscored layers are
    drawn empty and never count as the weakest.
    """
    columns = []
    for side in SIDES:
        rows = [WeakestRow(layer, getattr(layer, f"{side}_score")) for layer in layers]
        scored = [row for row in rows if row.score is not None]
        lowest = min((row.score for row in scored), default=None)
        weakest = [row for row in scored if row.score == lowest]
        for row in weakest:
            row.is_weakest = True
        columns.append(WeakestColumn(side.value, side.label, rows, weakest))
    return WeakestLinks(columns)


# Weigh the stack

DEFAULT_WEIGHT = 5
MAX_WEIGHT = 10
WEIGHT_PREFIX = "w-"
# A shared link is a few hundred characters; anything far longer is not one.
MAX_QUERY_LENGTH = 4000
MAX_FIELDS = 100
WHOLE_NUMBER = re.compile(r"[0-9]{1,3}")


@dataclass
class Weights:
    """The reader's weight for each layer, and what in the link was ignored."""

    by_slug: dict[str, int]
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    refused: str = ""  # set when the whole link was set aside

    def query(self):
        """The query string that reproduces these weights, defaults left out."""
        changed = [
            (f"{WEIGHT_PREFIX}{slug}", weight)
            for slug, weight in self.by_slug.items()
            if weight != DEFAULT_WEIGHT
        ]
        return urlencode(changed)


def _shown(text, limit=24):
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_weights(query_string, slugs):
    """Read ``w-<slug>=N`` weights (whole numbers 0–10) from a query string.

    Anything else (a value that is not a whole number from 0 to 10, a layer
    that does not exist, a weight given twice) is left at the default and
    named in ``ignored``. The query string is parsed here rather than through
    request.GET, whose field limit would turn a long link into an error page.
    """
    weights = Weights(dict.fromkeys(slugs, DEFAULT_WEIGHT))
    if len(query_string) > MAX_QUERY_LENGTH:
        weights.refused = "The link was too long to read"
        return weights
    try:
        pairs = parse_qsl(
            query_string,
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            separator="&",
        )
    except ValueError:
        weights.refused = "The link had too many settings to read"
        return weights
    given = {}
    for name, value in pairs:
        if name.startswith(WEIGHT_PREFIX):
            given.setdefault(name, []).append(value)
    for name, values in given.items():
        slug = name.removeprefix(WEIGHT_PREFIX)
        shown = f"{_shown(name)}={_shown(values[0])}"
        value = values[0].strip()
        if slug not in weights.by_slug:
            weights.ignored.append((shown, "no such layer"))
        elif len(values) > 1:
            weights.ignored.append((_shown(name), f"given {len(values)} times"))
        elif not WHOLE_NUMBER.fullmatch(value):
            weights.ignored.append((shown, "not a whole number from 0 to 10"))
        elif int(value) > MAX_WEIGHT:
            weights.ignored.append((shown, f"above {MAX_WEIGHT}"))
        else:
            weights.by_slug[slug] = int(value)
    return weights


@dataclass
class WeighedLayer:
    layer: object
    weight: int
    share: float | None  # of all the weight given to scored layers
    is_scored: bool


@dataclass
class Weighing:
    rows: list[WeighedLayer]
    us: Decimal | None
    china: Decimal | None
    total_weight: int

    @property
    def leader(self):
        return leader_of(self.us, self.china)

    @property
    def gap(self):
        if self.us is None or self.china is None:
            return None
        return abs(self.us - self.china)

    @property
    def all_zero(self):
        return self.total_weight == 0 and any(row.is_scored for row in self.rows)

    @property
    def unscored(self):
        return [row.layer for row in self.rows if not row.is_scored]


def weigh(layers, weights):
    """Average each side's current scores, weighted by the reader's weights.

    Only layers scored for both sides count, so both averages cover the same
    layers. The averages are rounded to one decimal, as scores are shown,
    and the leader is read from the rounded figures.
    """
    rows, total = [], 0
    sums = {side: Decimal(0) for side in SIDES}
    for layer in layers:
        weight = weights.by_slug.get(layer.slug, DEFAULT_WEIGHT)
        is_scored = layer.us_score is not None and layer.china_score is not None
        rows.append(WeighedLayer(layer, weight, None, is_scored))
        if is_scored:
            total += weight
            sums[Side.US] += weight * layer.us_score
            sums[Side.CHINA] += weight * layer.china_score
    for row in rows:
        if row.is_scored and total:
            row.share = row.weight / total
    if not total:
        return Weighing(rows, None, None, total)
    us, china = (
        (sums[side] / total).quantize(ONE_DECIMAL, ROUND_HALF_UP) for side in SIDES
    )
    return Weighing(rows, us, china, total)


# Effective compute


@dataclass(frozen=True)
class Factor:
    key: str  # Metric.key of the input
    name: str  # the metric's name in content/figures.md
    title: str  # the step's heading
    product: str  # what the running product is after this step, if not plain


FACTORS = (
    Factor(
        "units-shipped",
        "Units shipped",
        "Accelerators shipped per year",
        "",  # the count says it: "250,000 accelerators a year"
    ),
    Factor(
        "peak-flops",
        "Peak FLOP/s per unit",
        "Peak FLOP/s per accelerator",
        "peak compute added a year",
    ),
    Factor(
        "mfu",
        "Realized MFU",
        "Realized utilization (MFU)",
        "effective compute added a year",
    ),
)
FACTOR_KEYS = tuple(factor.key for factor in FACTORS)
# The metric whose figures the module works out rather than an analyst types.
RESULT_KEY = "effective-compute"
RESULT_NAME = "Effective compute produced"
FLOP_UNIT = re.compile(r"\s*([kMGTPEZY]?)FLOP", re.IGNORECASE)
FLOP_PREFIXES = {p.upper(): 10 ** (3 * i) for i, p in enumerate(SI_PREFIXES[:9])}
COUNT_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


# A number typed as "9.894e14", and the FLOP unit that may follow it.
E_NOTATION = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([-+]?\d+)(?![\w.])"
    r"(?:\s*(FLOP/s|FLOPS|FLOP)(?![\w/]))?"
)


def readable_numbers(text, unit=""):
    """Rewrite the numbers typed in e-notation in ``text`` as people read them.

    ``unit`` is the unit of the figure the text goes with: in a note on a
    figure in FLOP/s, "9.894e14" becomes "989 TFLOP/s"; elsewhere it
    becomes "9.89 × 10¹⁴". Up to three of the figures typed are kept.
    """

    def rewrite(match):
        typed, exponent, after = match.groups()
        digits = min(max(len(typed.replace(".", "").lstrip("0")), 1), 3)
        x = float(f"{typed}e{exponent}")
        if after:
            return with_prefix(x, "FLOP" if after == "FLOP" else "FLOP/s", digits)
        if flops := FLOP_UNIT.match(unit or ""):
            per = "/s" in unit or "flops" in unit.lower()
            scaled = x * FLOP_PREFIXES[flops[1].upper()]
            return with_prefix(scaled, "FLOP/s" if per else "FLOP", digits)
        if abs(x) >= 1e9 or abs(x) < 1e-3:
            return scientific(x, digits=digits)
        return significant(x, digits)

    return E_NOTATION.sub(rewrite, text)


@dataclass
class Input:
    """One side's figure for one factor, as a number the module can use."""

    value: object  # the MetricValue, or None
    amount: float | None = None  # midpoint, in base units (FLOP/s, a fraction)
    low: float | None = None
    high: float | None = None
    problem: str = ""

    @property
    def is_range(self):
        return self.low is not None and self.low != self.high


def _scale(factor, unit):
    unit = (unit or "").strip()
    if factor.key == "mfu":
        return 0.01 if unit.startswith("%") else 1.0
    if factor.key == "peak-flops":
        match = FLOP_UNIT.match(unit)
        return FLOP_PREFIXES[match[1].upper()] if match else 1.0
    return next((n for word, n in COUNT_WORDS.items() if word in unit.lower()), 1.0)


def read_input(factor, value):
    """Turn a MetricValue into the midpoint the module multiplies by."""
    if value is None or value.is_missing:
        return Input(value, problem="no public figure")
    if value.low is None:
        return Input(value, problem=f"“{value.text}” is not a number")
    scale = _scale(factor, value.unit)
    low = value.low * scale
    high = (value.high if value.high is not None else value.low) * scale
    amount = value.midpoint * scale
    if amount <= 0 or not math.isfinite(amount) or not math.isfinite(high):
        return Input(value, problem="not a positive number")
    if factor.key == "mfu" and high > 1:
        return Input(value, problem="utilization above 100%")
    return Input(value, amount, low, high)


@dataclass
class SideStep:
    side: str
    label: str
    input: Input
    product: float | None
    low: float | None
    high: float | None
    share: float = 0.0  # of the larger side's product, for the bar
    estimated: bool = False  # this or an earlier input is not a solid figure

    @property
    def is_range(self):
        return self.low is not None and self.low != self.high


@dataclass
class Step:
    number: int
    factor: Factor
    sides: list[SideStep]
    missing: list[str]

    @property
    def is_last(self):
        return self.factor.key == FACTORS[-1].key

    @property
    def is_flops(self):
        return self.factor.key != "units-shipped"

    @property
    def ratio(self):
        return _ratio(*self.sides)


@dataclass
class Ratio:
    leader: str
    value: float
    behind: str = ""
    low: float | None = None
    high: float | None = None


def _ratio(us, china):
    """How many times the leading side's product is the other's."""
    if not us.product or not china.product:
        return None
    ahead, behind = (us, china) if us.product >= china.product else (china, us)
    if ahead.product == behind.product:
        return Ratio(EVEN, 1.0)
    return Ratio(
        ahead.label,
        ahead.product / behind.product,
        behind.label,
        ahead.low / behind.high,
        ahead.high / behind.low,
    )


@dataclass
class EffectiveCompute:
    steps: list[Step]

    @property
    def ratio(self):
        return self.steps[-1].ratio

    @property
    def last(self):
        return self.steps[-1]

    @property
    def totals(self):
        return self.steps[-1].sides

    @property
    def missing(self):
        return [item for step in self.steps for item in step.missing]


def effective_compute(metrics):
    """Multiply each side's inputs step by step, from loaded metrics.

    ``metrics`` are Metric rows with their values prefetched; the ones whose
    key names a factor are used, the rest ignored. Return None when none of
    the factors is there, so pages without the module show nothing.
    """
    by_key = {m.key: m for m in metrics if m.key in FACTOR_KEYS}
    if not by_key:
        return None
    values = {
        key: {value.side: value for value in metric.values.all()}
        for key, metric in by_key.items()
    }
    running = dict.fromkeys(SIDES, (1.0, 1.0, 1.0))
    estimated = dict.fromkeys(SIDES, False)
    steps = []
    for number, factor in enumerate(FACTORS, start=1):
        sides, missing = [], []
        for side in SIDES:
            item = read_input(factor, values.get(factor.key, {}).get(side.value))
            product = low = high = None
            if running[side] is not None and item.amount is not None:
                mid, lo, hi = running[side]
                product, low, high = mid * item.amount, lo * item.low, hi * item.high
                running[side] = (product, low, high)
            else:
                running[side] = None
            if item.problem:
                missing.append(f"{factor.title} for {side.label}: {item.problem}")
            if item.value is not None and item.value.confidence != Confidence.SOLID:
                estimated[side] = True
            sides.append(
                SideStep(
                    side.value,
                    side.label,
                    item,
                    product,
                    low,
                    high,
                    estimated=estimated[side],
                )
            )
        largest = max((s.product for s in sides if s.product), default=None)
        for side_step in sides:
            if largest and side_step.product:
                side_step.share = side_step.product / largest * 100
        steps.append(Step(number, factor, sides, missing))
    return EffectiveCompute(steps)
