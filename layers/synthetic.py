"""A large made-up stack for the benchmark: many layers, scores and news."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from news.models import Development

from .models import Layer, Metric, MetricValue, Page, Score, Section, Side

BATCH = 5000
CATEGORIES = ("Policy", "Industry", "Research", "Supply Chain", "Investment")


@transaction.atomic
def fill(layers=100, scores=100_000, developments=20_000, seed=1):
    """Write ``layers`` layers with ``scores`` scores and ``developments``
    developments spread evenly over them, into an empty database."""
    if Layer.objects.exists():
        raise ValueError("The synthetic stack needs an empty database.")
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()

    Page.objects.get_or_create(
        slug=Page.STATE_OF_THE_STACK,
        defaults={"title": "State of the Stack", "body": _text(rng, 3)},
    )
    stack = Layer.objects.bulk_create(
        Layer(
            name=f"Layer {position:03d}",
            slug=f"layer-{position:03d}",
            position=position,
            summary=_text(rng, 2),
            measure=f"Synthetic measure {position}",
        )
        for position in range(1, layers + 1)
    )
    Section.objects.bulk_create(
        Section(layer=layer, position=n, heading=f"Section {n}", body=_text(rng, 4))
        for layer in stack
        for n in range(1, 6)
    )
    metrics = Metric.objects.bulk_create(
        Metric(layer=layer, position=n, name=f"Metric {n}", formula="A = B / C")
        for layer in stack
        for n in range(1, 5)
    )
    MetricValue.objects.bulk_create(
        MetricValue(
            metric=metric,
            side=side,
            low=rng.uniform(1, 100),
            unit="%",
            year=2026,
            source="Synthetic source",
        )
        for metric in metrics
        for side in Side.values
    )

    per_side = max(scores // (2 * layers), 1)
    Score.objects.bulk_create(
        (
            Score(
                layer=layer,
                side=side,
                value=Decimal(rng.randint(0, 100)) / 10,
                as_of=today - datetime.timedelta(days=7 * n),
                rationale=_text(rng, 1),
                source="Synthetic source",
            )
            for layer in stack
            for side in Side.values
            for n in range(per_side)
        ),
        batch_size=BATCH,
    )

    per_layer = max(developments // layers, 1)
    Development.objects.bulk_create(
        (
            Development(
                layer=layer,
                title=f"Development {n} on {layer.name}",
                slug=f"development-{n}",
                body=_text(rng, 2),
                category=rng.choice(CATEGORIES),
                # One in fifty is a draft and one in fifty is scheduled, so
                # the pages filter what readers may see, as they do in use.
                status=Development.Status.DRAFT
                if n % 50 == 1
                else Development.Status.LIVE,
                published_at=now
                + (datetime.timedelta(days=3) if n % 50 == 2 else -_age(rng)),
            )
            for layer in stack
            for n in range(per_layer)
        ),
        batch_size=BATCH,
    )
    return {
        "layers": len(stack),
        "scores": per_side * 2 * len(stack),
        "developments": per_layer * len(stack),
    }


WORDS = (
    "capacity",
    "export",
    "controls",
    "fabrication",
    "supply",
    "chain",
    "lithography",
    "memory",
    "packaging",
    "accelerators",
    "power",
    "grid",
    "minerals",
    "refining",
    "talent",
    "models",
    "data",
    "cloud",
    "platforms",
    "safety",
    "evaluation",
    "investment",
    "policy",
    "yield",
    "wafers",
)


def _text(rng, sentences):
    return " ".join(
        " ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(sentences)
    )


def _age(rng):
    return datetime.timedelta(minutes=rng.randint(1, 3 * 365 * 24 * 60))
