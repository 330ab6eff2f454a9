from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from kefu.flow import access as flow_access

        from . import access

        # The case engine filters work lists and notices by the customers a user may see, and logs
        # every refused action on a record in the customer's access log (R1.2).
        flow_access.register(
            visible_customers=access.visible_customer_ids,
            may_see_customer=access.may_read_id,
            log_refusal=access.log_refusal_id,
        )
