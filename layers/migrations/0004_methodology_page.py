"""Create the methodology page with its first text; analysts edit it later."""

from django.db import migrations

SLUG = "methodology"
TITLE = "Methodology"
# Written once here; the admin is where the text lives from now on.
BODY = """\
The tracker compares the United States and its allies with China on each of
the fourteen layers of the AI stack, from the critical minerals at its base to
the talent at its top.

### The 0–10 scale

Each layer is scored from 0 to 10 for each side, in steps of 0.1, on a
measure chosen for that layer. A score says how strong a side is on that
measure, not on the stack as a whole:

- **0** means no meaningful capability on the measure.
- **5** means a real but clearly limited position: present at scale, behind
  the best on cost, quality or volume.
- **10** means the strongest position anyone holds today, with nothing
  important missing.

The two sides are scored on the same measure, so their scores on one layer
can be compared. Scores on different layers use different measures and are
best compared by who leads, not by their size.

### Who leads

The leader of a layer is the side with the higher current score. When both
scores are equal the layer is **Even**. The leader is never entered by hand:
the site works it out from the current scores each time a page is shown, so
it always agrees with them.

### Measures and figures

Each layer's page names its measure and lists its key metrics, with each
side's figure, its year, its source and how sure the figure is. A figure
marked *Estimate* rests on partial data; one marked *Tracker's own estimate*
has no public source. The table below lists every layer's measure and how
many of its figures name a source.

### Reviews

Scores are reviewed every quarter, and sooner when a major development
changes a layer: a new export control, a plant opening or closing, a model
release that moves the frontier. A review adds a new score with its date and
its reasons; earlier scores stay on the record and are listed on each layer's
page and under *Score changes*.
"""


def create_page(apps, schema_editor):
    Page = apps.get_model("layers", "Page")
    page, created = Page.objects.get_or_create(
        slug=SLUG, defaults={"title": TITLE, "body": BODY}
    )
    if created:
        # Migrations skip simple_history's signals; record the first version
        # so the admin's history starts with the text written here.
        apps.get_model("layers", "HistoricalPage").objects.create(
            id=page.pk,
            slug=page.slug,
            title=page.title,
            body=page.body,
            updated_at=page.updated_at,
            version=page.version,
            history_date=page.updated_at,
            history_type="+",
            history_change_reason="First text, written with the site",
        )


class Migration(migrations.Migration):
    dependencies = [("layers", "0003_score_confidence_review_links")]

    operations = [migrations.RunPython(create_page, migrations.RunPython.noop)]
