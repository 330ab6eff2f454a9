from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The settings of the survey domain with the seeds' values (STYLE 10); ``kefu.core.config``.
DEFAULTS = {
    # 004 6.4.2.3: total = external x 60 % + internal x 40 % (fractions adding up to 1).
    "surveys.weight.external": "0.6",
    "surveys.weight.internal": "0.4",
    # 004 6.4.2: below 80 dissatisfied, 80-85 satisfied, above 85 very satisfied.
    "surveys.level.satisfied_from": "80",
    "surveys.level.very_satisfied_above": "85",
    # 004 6.4.3 (default) or COP14 5.1.1 / 5.2.1 (below 60, an item below 4, issued by the
    # management representative), or "custom": the four keys below.
    "surveys.trigger.preset": "004",
    "surveys.trigger.item_low": "3",
    "surveys.trigger.item_low_inclusive": True,
    "surveys.trigger.customer_below": "80",
    "surveys.trigger.total_below": "80",
    # 客户满意度管理制度 五.1: overall = self-assessment x 40 % + survey x 60 % (off by default).
    "surveys.self_assessment.enabled": False,
    "surveys.weight.self_assessment": "0.4",
    "surveys.weight.survey": "0.6",
    # 004 6.4.1 and 客户满意度管理制度 四.3: return rate 80 %, at least 100 forms, 10 competitor answers.
    "surveys.return_target": "80",
    "surveys.min_returns": 100,
    "surveys.min_competitor": 10,
    # R10.1: key customers quarterly, others every six months, never more than 12 months apart,
    # 90 % of the active customers a year; the main round in the fourth quarter (003 4.2.1.2).
    "surveys.plan.key_months": "1,4,7,10",
    "surveys.plan.general_months": "4,10",
    "surveys.plan.max_gap_months": 12,
    "surveys.coverage_target": "90",
    # The personal link lives this many days; answers are due this many days after the round opens.
    "surveys.link_days": 30,
    "surveys.collect_days": 30,
    # Where the personal links point in the e-mails (the site's address as customers reach it).
    "surveys.link_base_url": "http://127.0.0.1:8000",
    # A trigger's corrective action goes to the item's department, else to this one (营销部 owns
    # the survey, 004 3.1); an explicit written complaint is registered with this category.
    "surveys.capa_department": "sales",
    "surveys.complaint_category": "quality",
}

HELP = {
    "surveys.weight.external": "weight of the external (survey) score in the total, a fraction (004 6.4.2.3)",
    "surveys.weight.internal": "weight of the internal score in the total; the two weights add up to 1",
    "surveys.level.satisfied_from": "a score at or above this is satisfied (004 6.4.2: 80)",
    "surveys.level.very_satisfied_above": "a score above this is very satisfied (004 6.4.2: 85)",
    "surveys.trigger.preset": "004 (item <= 3, customer < 80, total < 80), cop14 (item < 4, below 60, "
    "issued by the management representative) or custom (the surveys.trigger.* keys)",
    "surveys.trigger.item_low": "custom preset: an item rated at (or below) this, on a 10-point scale, opens a CAPA",
    "surveys.trigger.item_low_inclusive": "custom preset: whether a rating equal to surveys.trigger.item_low triggers",
    "surveys.trigger.customer_below": "custom preset: a customer's score below this opens a CAPA",
    "surveys.trigger.total_below": "custom preset: a total below this opens a CAPA",
    "surveys.self_assessment.enabled": "combine the salespeople's self-assessment with the survey "
    "(客户满意度管理制度 五.1)",
    "surveys.weight.self_assessment": "weight of the self-assessment (0.4)",
    "surveys.weight.survey": "weight of the survey (0.6); the two add up to 1",
    "surveys.return_target": "return-rate target in percent (004 6.4.1: 80)",
    "surveys.min_returns": "minimum number of returned forms in a round (回收的检查表在100份以上)",
    "surveys.min_competitor": "minimum competitor answers in a round (每次不得少于10个)",
    "surveys.plan.key_months": "months in which key customers are surveyed (quarterly)",
    "surveys.plan.general_months": "months in which the other customers are surveyed (every six months)",
    "surveys.plan.max_gap_months": "no customer goes longer than this between two surveys (004 6.2)",
    "surveys.coverage_target": "share of the active customers surveyed in a year, percent (004 6.2: 90)",
    "surveys.link_days": "days a personal answer link stays valid",
    "surveys.collect_days": "days from the opening of a round to its answer deadline",
    "surveys.link_base_url": "the site's address the personal links in the e-mails start with",
    "surveys.capa_department": "department of a trigger's corrective action when the item names none "
    "(and of the customer and total triggers)",
    "surveys.complaint_category": "category (quality / non_quality) of the complaint an explicit written "
    "complaint on a form becomes; quality confirms it",
}


class SurveysConfig(AppConfig):
    name = "kefu.surveys"
    label = "surveys"
    verbose_name = _("Customer satisfaction")

    def ready(self):
        from kefu.core import config
        from kefu.flow import registry

        from .workflow import FLOW

        config.register(DEFAULTS, HELP)
        registry.register(FLOW)
