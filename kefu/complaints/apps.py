from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# 002 篇4 第十条 is the default of the whole-case deadline, 篇15 the alternative (calendar days).
CASE_DAY_PRESETS: dict[str, dict[str, str]] = {
    "002 篇4 第十条": {"due.complaint.case.domestic": "15 days", "due.complaint.case.foreign": "20 days"},
    "002 篇15": {"due.complaint.case.domestic": "13 days", "due.complaint.case.foreign": "17 days"},
}


class ComplaintsConfig(AppConfig):
    name = "kefu.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from kefu.core import config
        from kefu.flow import registry

        from .workflow import FLOW

        # Settings the seeds leave open (STYLE 10), with the seed's value as default.
        config.register(
            {
                # 000 5.3.3: the customer is told the date by which they get an answer
                "ack_answer_days_domestic": 15,
                "ack_answer_days_foreign": 20,
                # Authority matrix (R1.3, 第九条(五)): loss amount up to these limits is decided by the
                # sales manager, then the deputy GM; above the second limit by the GM.
                "authority.sales_manager_max": "5000.00",
                "authority.deputy_gm_max": "50000.00",
                # The instruction steps (002 篇4 第九条(二)(三)(四)) and the management meeting before
                # the approval of a major or serious case (002 篇1 第十一条(二)): on as the seed says.
                "complaint.instruction.investigation": True,
                "complaint.instruction.countermeasure": True,
                "complaint.instruction.proposal": True,
                "complaint.meeting.major_serious": True,
            },
            {
                "ack_answer_days_domestic": "answer promised to a domestic customer on intake, calendar days "
                "(000 5.3.3)",
                "ack_answer_days_foreign": "answer promised to a foreign customer on intake, calendar days",
                "authority.sales_manager_max": "loss amount up to which the sales manager approves (yuan)",
                "authority.deputy_gm_max": "loss amount up to which the deputy GM approves; above it the GM (yuan)",
                "complaint.instruction.investigation": "quality's report goes to the GM for instruction "
                "(002 篇4 第九条(二)); false skips the step",
                "complaint.instruction.countermeasure": "the countermeasure goes to the manager's office for "
                "instruction (第九条(三)); false skips the step",
                "complaint.instruction.proposal": "the sales supervisor reviews the negotiation result "
                "(第九条(四)); false skips the step",
                "complaint.meeting.major_serious": "a major or serious complaint is approved only after the "
                "management meeting's decision is recorded (002 篇1 第十一条(二))",
            },
        )
        registry.register(FLOW)
