from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """``kefu demo``: the demo organisation, customers and complaints, written through the services
    of every app (it sits above them all, so core imports none of them)."""

    name = "kefu.demo"
    label = "demo"
    verbose_name = _("Demo data")
