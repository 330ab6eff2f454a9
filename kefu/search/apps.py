from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "kefu.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .sqlite import register_functions

        connection_created.connect(register_functions, dispatch_uid="kefu.search.register_functions")
