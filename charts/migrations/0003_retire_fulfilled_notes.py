import re

from django.db import migrations
from django.db.models import F

# Editorial notes that asked for a chart the site now draws (the charts app).
# The importer no longer keeps them; here they leave the layers that were
# imported before. Any other note an analyst wrote stays as it is.
FULFILLED = (
    "Next: we can add a “critical path” diagram",
    "Next: we can attach the fabrication podium",
    "This layer is designed for maximum interactivity",
)


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
        ("charts", "0002_analysts"),
    ]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
