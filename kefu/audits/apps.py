from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "kefu.audits"
    label = "audits"
    verbose_name = _("Customer audits")

    def ready(self):
        from kefu.capa import services as capa_services
        from kefu.flow import registry

        from . import services
        from .workflow import FLOW

        registry.register(FLOW)
        # 8D closed -> the audit checks whether it was its last one (kefu.capa imports no audit code).
        capa_services.on_closed("audit", services.on_capa_closed)
        capa_services.source_url_for("audit", services.source_url)
