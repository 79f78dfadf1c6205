import datetime

import layers.models
from django.db import migrations, models
from django.db.models import F

CONFIDENCE = models.CharField(
    choices=[("low", "Low"), ("medium", "Medium"), ("high", "High")],
    default="medium",
    help_text="How sure the tracker is of this score. Readers see it.",
    max_length=6,
)
REVIEW_HELP = (
    "When to look at this score again. Leave it empty for 90 days after the "
    "as-of date."
)


def review_due(null):
    return layers.models.ReviewDueField(
        blank=True, null=null, help_text=REVIEW_HELP, verbose_name="review due"
    )


def set_review_dates(apps, schema_editor):
    """Give every score, and every past version of one, a review date."""
    later = F("as_of") + datetime.timedelta(days=90)
    for name in ("Score", "HistoricalScore"):
        model = apps.get_model("layers", name)
        model.objects.filter(review_due__isnull=True).update(review_due=later)


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0002_versions"),
        ("news", "0003_versions"),
    ]

    operations = [
        migrations.AddField("historicalscore", "confidence", CONFIDENCE),
        migrations.AddField("score", "confidence", CONFIDENCE),
        migrations.AddField("historicalscore", "review_due", review_due(null=True)),
        migrations.AddField("score", "review_due", review_due(null=True)),
        migrations.RunPython(set_review_dates, migrations.RunPython.noop),
        migrations.AlterField("historicalscore", "review_due", review_due(null=False)),
        migrations.AlterField("score", "review_due", review_due(null=False)),
        migrations.AddField(
            model_name="score",
            name="developments",
            field=models.ManyToManyField(
                blank=True,
                help_text="The developments that moved this score. Readers see "
                "the published ones beside it.",
                related_name="scores",
                to="news.development",
            ),
        ),
    ]
