from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequirementsConfig(AppConfig):
    name = "kefu.requirements"
    label = "requirements"
    verbose_name = _("Requirement registers")

    def ready(self):
        from kefu.core import config
        from kefu.flow import registry

        from .workflow import CSR_FLOW, HSF_FLOW

        config.register(
            {
                "hsf.annual_month": 12,
                "hsf.annual_day": 1,
                "hsf.annual_due": "12-31",
                "hsf.laws_months": "1,7",
                "hsf.laws_due_days": 30,
                "hsf.evaluation_months": "1",
                "hsf.evaluation_due_days": 30,
                "hsf.hspm_department": "quality",
            },
            {
                "hsf.annual_month": "month in which sales collects every HSF customer's limits (000 HSF 5.1: December)",
                "hsf.annual_day": "day of that month (Asia/Shanghai) from which the annual collection opens",
                "hsf.annual_due": "MM-DD of the same year by which the annual collection is done (end of December)",
                "hsf.laws_months": "months (comma-separated) in which quality collects the applicable laws "
                "(000 HSF 5.2: every six months)",
                "hsf.laws_due_days": "calendar days the law collection may take",
                "hsf.evaluation_months": "months (comma-separated) of the periodic compliance evaluation "
                "(000 HSF 1.1: 定期评价; yearly by default)",
                "hsf.evaluation_due_days": "calendar days the compliance evaluation may take",
                "hsf.hspm_department": "department whose HSPM representative approves (reminders go there)",
            },
        )
        registry.register(CSR_FLOW)
        registry.register(HSF_FLOW)
