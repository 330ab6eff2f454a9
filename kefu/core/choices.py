from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DepartmentCode(models.TextChoices):
    """Stable department codes used by the API (SPEC glossary)."""

    SALES = "sales", _("Sales / customer service")
    QUALITY = "quality", pgettext_lazy("department", "Quality")  # 品质部, not the category
    GM_OFFICE = "gm_office", _("GM office")
    PRODUCTION = "production", _("Production")
    RD = "rd", _("R&D")
    ACCOUNTING = "accounting", _("Accounting")
    WAREHOUSE = "warehouse", _("Warehouse")
    MANAGEMENT_REP = "management_rep", _("Management representative")


class Role(models.TextChoices):
    """Roles in ascending authority; ``RANK`` orders them for the authority matrix."""

    CLERK = "clerk", _("Clerk")
    MANAGER = "manager", _("Manager")
    DEPUTY_GM = "deputy_gm", _("Deputy GM")
    GM = "gm", _("GM")
    MANAGEMENT_REP = "management_rep", _("Management representative")
    # 体系专员: routes an existing customer's audit nonconformities to 8Ds (000 客户审核, R7.3).
    SYSTEM_SPECIALIST = "system_specialist", _("System specialist")
    # HSPM 代表: approves the customers' hazardous-substance limits (000 HSF, R12.2).
    HSPM_REP = "hspm_rep", _("HSPM representative")
    ADMIN = "admin", _("Administrator")


ROLE_RANK = {
    Role.CLERK: 1,
    Role.MANAGER: 2,
    Role.MANAGEMENT_REP: 2,
    Role.SYSTEM_SPECIALIST: 1,
    Role.HSPM_REP: 1,
    Role.DEPUTY_GM: 3,
    Role.GM: 4,
    Role.ADMIN: 0,  # administers the system; approves nothing by rank
}
