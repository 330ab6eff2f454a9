"""The seeds' questionnaires as templates (R10.2): 004 6.3.2-6.3.3 (``default``), 004 山西 4.7
(``shanxi``), 002 篇1 附件1 (``visit_report``) and 003 4.2.2.1 (``q003``).

The data is written out here, not imported, so the migration stays what it was when it landed.
"""

from decimal import Decimal

from django.db import migrations


def lv(code, label, label_en, value, dissatisfied=False):
    return {"code": code, "label": label, "label_en": label_en, "value": value, "dissatisfied": dissatisfied}


# 004 6.3.3: 很满意、满意、一般、不满意、很不满意 = 10, 8, 5, 3, 1.
FIVE = [
    lv("very_satisfied", "很满意", "Very satisfied", 10),
    lv("satisfied", "满意", "Satisfied", 8),
    lv("neutral", "一般", "Neutral", 5),
    lv("dissatisfied", "不满意", "Dissatisfied", 3, True),
    lv("very_dissatisfied", "很不满意", "Very dissatisfied", 1, True),
]

# 004 山西 4.7 b): seven grades, 100 points in all, basic satisfaction at 70. The seed's annex
# (《顾客满意度评价表》) with the points of each grade is not in the seed: the grades score 7..1
# and the template is normalised to 100 points (a form rated 较满意 throughout scores 71.4).
SEVEN = [
    lv("very_satisfied", "很满意", "Very satisfied", 7),
    lv("satisfied", "满意", "Satisfied", 6),
    lv("fairly_satisfied", "较满意", "Fairly satisfied", 5),
    lv("neutral", "一般", "Neutral", 4),
    lv("somewhat_dissatisfied", "不太满意", "Somewhat dissatisfied", 3),
    lv("dissatisfied", "不满意", "Dissatisfied", 2, True),
    lv("very_dissatisfied", "很不满意", "Very dissatisfied", 1, True),
]

TEMPLATES = [
    {
        "code": "default",
        "name": "顾客满意度调查表",
        "name_en": "Customer satisfaction survey",
        "seed": "004 发动机顾客满意管理程序 6.3.2-6.3.3",
        "pass_mark": None,
        "items": [
            ("product_performance", "产品性能", "Product performance", FIVE),
            ("packing_transport", "包装运输", "Packing and transport", FIVE),
            ("on_time_delivery", "交付及时性", "On-time delivery", FIVE),
            ("complaint_speed", "投诉处理及时性", "Complaint handling speed", FIVE),
            ("complaint_effectiveness", "投诉处理有效性", "Complaint handling effectiveness", FIVE),
            ("service_attitude", "业务的服务态度", "Service attitude", FIVE),
            ("professional_knowledge", "业务的专业知识", "Professional knowledge", FIVE),
            ("onsite_service", "现场服务质量", "On-site service", FIVE),
            ("spare_parts_accuracy", "配件供应的准确性", "Spare-part accuracy", FIVE),
            ("price", "产品价格", "Price", FIVE),
        ],
    },
    {
        "code": "shanxi",
        "name": "顾客满意度评价表(14项,7档)",
        "name_en": "Satisfaction evaluation (14 items, 7 grades)",
        "seed": "004 山西 售后服务及顾客满意度控制程序 4.7 b)",
        "pass_mark": Decimal(70),
        "items": [
            ("product_quality", "产品质量", "Product quality", SEVEN),
            ("reliability", "产品可靠性", "Reliability", SEVEN),
            ("appearance", "产品外观", "Appearance", SEVEN),
            ("packing", "包装质量", "Packing", SEVEN),
            ("delivery_time", "交货期", "Delivery time", SEVEN),
            ("delivery_accuracy", "交货数量准确性", "Delivery accuracy", SEVEN),
            ("price", "产品价格", "Price", SEVEN),
            ("documentation", "技术资料", "Technical documentation", SEVEN),
            ("installation", "安装调试", "Installation and commissioning", SEVEN),
            ("response_speed", "服务响应速度", "Service response speed", SEVEN),
            ("service_attitude", "服务态度", "Service attitude", SEVEN),
            ("service_skill", "服务技术水平", "Service skill", SEVEN),
            ("spare_parts", "备件供应", "Spare-part supply", SEVEN),
            ("complaint_handling", "投诉处理", "Complaint handling", SEVEN),
        ],
    },
    {
        "code": "visit_report",
        "name": "走访客户报告单",
        "name_en": "Customer visit report",
        "seed": "002 篇1 附件1",
        "pass_mark": None,
        "items": [
            ("quality", "质量", "Quality", [
                lv("excellent", "非常优良", "Excellent", 100), lv("very_good", "优良", "Very good", 90),
                lv("good", "良好", "Good", 85), lv("fair", "一般", "Fair", 80),
                lv("acceptable", "合格", "Acceptable", 70), lv("unacceptable", "不合格", "Unacceptable", 60, True),
            ]),
            ("service", "服务态度", "Service attitude", [
                lv("excellent", "非常优良", "Excellent", 100), lv("very_good", "优良", "Very good", 90),
                lv("good", "良好", "Good", 85), lv("fair", "一般", "Fair", 80),
                lv("poor", "不好", "Poor", 30, True), lv("bad", "恶劣", "Bad", 0, True),
            ]),
            ("awareness", "产品的知名度", "Product awareness", [
                lv("very_famous", "非常驰名", "Very famous", 100), lv("famous", "驰名", "Famous", 90),
                lv("high", "知名度高", "Well known", 85), lv("fairly_high", "知名度较高", "Fairly well known", 80),
                lv("known", "知名", "Known", 70), lv("heard_of", "知道", "Heard of", 60),
                lv("unknown", "不知道", "Not known", 50),
            ]),
        ],
    },
    {
        "code": "q003",
        "name": "顾客满意程度调查表",
        "name_en": "Customer satisfaction survey (five items)",
        "seed": "003 4.2.2.1",
        "pass_mark": None,
        "items": [
            ("quality", "产品质量", "Product quality", FIVE),
            ("packing", "包装质量", "Packing quality", FIVE),
            ("delivery", "产品交付", "Delivery", FIVE),
            ("service", "服务质量", "Service quality", FIVE),
            ("price", "产品价格", "Price", FIVE),
        ],
    },
]


# Where a corrective action about a default item goes (客户满意度管理制度 三.3: 各相关部门负责对
# "不满意"项推行纠正措施); the other templates' items go to ``surveys.capa_department``.
DEPARTMENTS = {
    "product_performance": "quality",
    "packing_transport": "warehouse",
    "on_time_delivery": "production",
    "complaint_speed": "quality",
    "complaint_effectiveness": "quality",
    "spare_parts_accuracy": "warehouse",
}


def seed(apps, schema_editor):
    Template = apps.get_model("surveys", "Template")
    Item = apps.get_model("surveys", "Item")
    for t in TEMPLATES:
        if Template.objects.filter(code=t["code"]).exists():
            continue
        tpl = Template.objects.create(
            code=t["code"], version=1, is_current=True, name=t["name"], name_en=t["name_en"], seed=t["seed"],
            pass_mark=t["pass_mark"],
        )
        Item.objects.bulk_create(
            Item(
                template=tpl, code=code, position=i, label=label, label_en=label_en, levels=levels,
                department=DEPARTMENTS.get(code, "") if t["code"] == "default" else "",
            )
            for i, (code, label, label_en, levels) in enumerate(t["items"], start=1)
        )


def unseed(apps, schema_editor):
    apps.get_model("surveys", "Template").objects.filter(code__in=[t["code"] for t in TEMPLATES], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
