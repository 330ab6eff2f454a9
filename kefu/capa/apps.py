from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapaConfig(AppConfig):
    name = "kefu.capa"
    label = "capa"
    verbose_name = _("Corrective actions")

    def ready(self):
        from kefu.core import config
        from kefu.flow import registry

        from .workflow import FLOW

        config.register(
            {
                # 004 COP14 5.3.1: every valid complaint gets a corrective-action report; off by
                # default (002 opens one only for a complaint the GM office puts under tracking).
                "capa.open_for_every_valid_complaint": False,
                # 000 4.7.2: the verification no later than one month after the reply.
                "capa.verification_max_months": 1,
            },
            {
                "capa.open_for_every_valid_complaint": "open a corrective action (8D) for every complaint "
                "found valid (004 COP14 5.3.1); off: only for those the GM office puts under tracking",
                "capa.verification_max_months": "the date committed for the verification is at most this "
                "many months after the reply (000 4.7.2)",
            },
        )
        registry.register(FLOW)
