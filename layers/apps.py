from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Stack layers"

    def ready(self):
        from django.db.backends.signals import connection_created

        from tracker import cache

        from . import search

        # Every save to what pages show empties the shared page cache.
        cache.connect_signals()
        connection_created.connect(search.add_sqlite_casefold)
