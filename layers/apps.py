from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Stack layers"

    def ready(self):
        from tracker import cache

        # Every save to what pages show empties the shared page cache.
        cache.connect_signals()
