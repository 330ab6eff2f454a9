from django.db import models


class Ticket(models.Model):
    """A customer question that must be answered within 24 clock hours, then confirmed."""

    number = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, default="new")
    due_at = models.DateTimeField(null=True, blank=True)
    case_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    customer_deadline = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)

    flow_related = ("customer",)

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_key(self) -> str:
        return self.number
