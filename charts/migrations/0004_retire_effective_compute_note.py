import re

from django.db import migrations
from django.db.models import F

# The AI Accelerators layer's note asked for the effective compute module,
# which the site has (layers/widgets.py); the importer no longer keeps it.
FULFILLED = ("Below is a first‑principles embedded module",)


def retire(apps, schema_editor):
    Layer = apps.get_model("layers", "Layer")
    for layer in Layer.objects.exclude(internal_notes=""):
        paragraphs = re.split(r"\n\s*\n", layer.internal_notes.strip())
        kept = [p for p in paragraphs if not p.strip().startswith(FULFILLED)]
        if len(kept) != len(paragraphs):
            Layer.objects.filter(pk=layer.pk).update(
                internal_notes="\n\n".join(kept), version=F("version") + 1
            )


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0002_versions"),
        ("charts", "0003_retire_fulfilled_notes"),
    ]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
