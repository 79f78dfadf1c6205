"""Key the metric that states the effective-compute result.

The layer page fills that metric with the module's totals instead of "no
public figure"; the importer keys it on new databases, this keys it on
databases imported before.
"""

from django.db import migrations
from django.utils import timezone

KEY = "effective-compute"
NAME = "Effective compute produced"


def key_the_result(apps, schema_editor):
    Metric = apps.get_model("layers", "Metric")
    HistoricalMetric = apps.get_model("layers", "HistoricalMetric")
    keyed = Metric.objects.filter(key=KEY).values("layer_id")
    now = timezone.now()
    for metric in Metric.objects.filter(name=NAME, key="").exclude(layer_id__in=keyed):
        metric.key = KEY
        metric.version += 1
        metric.save(update_fields=["key", "version"])
        # Migrations skip simple_history's signals; record the change by hand.
        HistoricalMetric.objects.create(
            id=metric.pk,
            layer_id=metric.layer_id,
            position=metric.position,
            name=metric.name,
            key=metric.key,
            formula=metric.formula,
            version=metric.version,
            history_date=now,
            history_type="~",
            history_change_reason="Keyed for the worked-out effective compute",
        )


class Migration(migrations.Migration):
    dependencies = [("layers", "0004_methodology_page")]

    operations = [migrations.RunPython(key_the_result, migrations.RunPython.noop)]
