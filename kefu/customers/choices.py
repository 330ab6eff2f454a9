from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic")
    FOREIGN = "foreign", _("Foreign")


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class AccessAction(models.TextChoices):
    VIEW = "view", _("Page view")
    API_READ = "api_read", _("API read")
    EXPORT = "export", _("Export")
    DENIED = "denied", _("Refused")
