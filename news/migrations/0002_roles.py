from django.contrib.auth.management import create_permissions
from django.db import migrations

# Analysts keep the scores and explanations; editors write the news. Neither
# manages users. Scores and layers are never deleted so history stays whole.
ROLES = {
    "Analysts": {
        "layers.layer": ("add", "change", "view"),
        "layers.section": ("add", "change", "delete", "view"),
        "layers.metric": ("add", "change", "delete", "view"),
        "layers.metricvalue": ("add", "change", "delete", "view"),
        "layers.score": ("add", "change", "view"),
        "layers.page": ("add", "change", "view"),
        "news.development": ("view",),
    },
    "Editors": {
        "news.development": ("add", "change", "delete", "view"),
        "layers.layer": ("view",),
    },
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for label, actions in grants.items():
            app_label, model = label.split(".")
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        codename=f"{action}_{model}",
                    )
                )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("layers", "0001_initial"),
        ("news", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
