"""Customer records (M2) and their confidentiality (R1.2)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .choices import AccessAction, Grade, Region


class Customer(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    legal_representative = models.CharField(
        _("legal representative / person in charge"), max_length=100, blank=True
    )
    products = models.TextField(_("products and models supplied"), blank=True)
    region = models.CharField(_("region"), max_length=16, choices=Region.choices, default=Region.DOMESTIC)
    area = models.CharField(_("area"), max_length=100, blank=True, help_text=_("province, city or country"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, default=Grade.C)
    is_key = models.BooleanField(_("key customer"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["owner", "code"], name="customer_owner_idx"),
            models.Index(fields=["grade", "code"], name="customer_grade_idx"),
        ]
        permissions = [("export_customer", "Can export customer records")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def audit_key(self) -> str:
        return self.code


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True, db_index=True)
    mobile = models.CharField(_("mobile"), max_length=50, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class GradeChange(models.Model):
    """History of grade re-evaluations with their reasons (R2.2)."""

    # The reason stored on a customer's first row; data, translated only when shown.
    INITIAL_REASON = "initial grade"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grade_changes")
    from_grade = models.CharField(max_length=1, choices=Grade.choices, blank=True)
    to_grade = models.CharField(max_length=1, choices=Grade.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_grade or '-'} -> {self.to_grade}"

    @property
    def reason_display(self) -> str:
        """The reason as the reader should see it: the stored initial reason in their language."""
        return gettext("initial grade") if self.reason == self.INITIAL_REASON else self.reason


class CustomerGrant(models.Model):
    """A manager lets a user read a customer they do not own (R1.2)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="uniq_customer_grant")]
        verbose_name = _("customer access grant")
        verbose_name_plural = _("customer access grants")

    def __str__(self) -> str:
        return f"{self.user_id} may read {self.customer_id}"


class CustomerAccessLog(models.Model):
    """Append-only log of every read of a customer record and every export (R1.2)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    detail = models.CharField(
        max_length=300, blank=True, help_text="export filter, row count, refusal reason"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="access_customer_idx")]
        verbose_name = _("customer access log entry")
        verbose_name_plural = _("customer access log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.customer_id or ''}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the access log is append-only")
