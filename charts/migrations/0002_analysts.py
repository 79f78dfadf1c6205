from django.contrib.auth.management import create_permissions
from django.db import migrations

# Analysts keep the charts as they keep the layers' other content.
GRANTS = {
    "chart": ("add", "change", "delete", "view"),
    "chartpage": ("add", "change", "delete", "view"),
}


def grant(apps, schema_editor):
    # Permissions are normally made after migrations; make them now.
    app_config = apps.get_app_config("charts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    analysts, _ = Group.objects.get_or_create(name="Analysts")
    for model, actions in GRANTS.items():
        for action in actions:
            analysts.permissions.add(
                Permission.objects.get(
                    content_type__app_label="charts", codename=f"{action}_{model}"
                )
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    analysts = Group.objects.filter(name="Analysts").first()
    if analysts is not None:
        analysts.permissions.remove(
            *Permission.objects.filter(content_type__app_label="charts")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("news", "0002_roles"),
        ("charts", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
