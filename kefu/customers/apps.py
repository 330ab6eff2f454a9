from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from kefu.core import config
        from kefu.flow import access as flow_access

        from . import access

        # 002 篇10 (customer files are confidential): who may export them, and who is told of a grant
        # of access to a customer (三、查阅客户档案, 应征得营销经理同意并同时知会经营部经理).
        config.register(
            {
                "customers.export_roles": "gm, deputy_gm, sales:manager",
                "customers.grant_notify_roles": "sales:manager, gm_office:manager",
            },
            {
                "customers.export_roles": "roles that may export customer records, comma-separated: a role "
                "(gm) or a department's role (sales:manager); a user or group with the permission "
                "customers.export_customer may as well (002 篇10)",
                "customers.grant_notify_roles": "who is told of a grant of access to a customer: the sales "
                "manager and the operations manager (002 篇10 三), same form as customers.export_roles",
            },
        )

        # The case engine filters work lists and notices by the customers a user may see, and logs
        # every refused action on a record in the customer's access log (R1.2).
        flow_access.register(
            visible_customers=access.visible_customer_ids,
            may_see_customer=access.may_read_id,
            log_refusal=access.log_refusal_id,
            reader_test=access.reader_test,
        )
