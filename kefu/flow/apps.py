from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowConfig(AppConfig):
    name = "kefu.flow"
    label = "flow"
    verbose_name = _("Case engine")

    def ready(self):
        from kefu.core import config

        # The engine's own settings (STYLE 10): escalation and extensions of every record type.
        config.register(
            {
                "escalation.manager_after_workdays": 1,
                "escalation.gm_after_workdays": 2,
                "extension.max_workdays": 7,
                "extension.max_hours": 72,
                "extension.approver_role": "manager",
                "clock.workday_start": "08:30",
                "clock.workday_end": "17:30",
            },
            {
                "escalation.manager_after_workdays": "a reminder escalates to the department manager after "
                "these working days (002 篇4 第十四条)",
                "escalation.gm_after_workdays": "a reminder escalates to the GM after these working days",
                "extension.max_workdays": "the whole time of one step on a day clock, extensions included, "
                "working days (002 篇1 第十一条(三): 最多不超过七个工作日)",
                "extension.max_hours": "the whole time of one step on an hour clock, extensions included, hours",
                "extension.approver_role": "the lowest role that approves an extension: manager (a manager of "
                "the step's department, or an executive), deputy_gm or gm (002 篇1 第十一条(三))",
                "clock.workday_start": "start of the working hours, for steps whose clock counts working hours",
                "clock.workday_end": "end of the working hours, for steps whose clock counts working hours",
            },
        )
