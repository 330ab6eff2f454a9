"""``{% complaint_rows complaints %}``: the complaint table's body (see ``complaints.tables``)."""

from django import template

from kefu.complaints import tables

register = template.Library()
register.simple_tag(tables.complaint_rows, name="complaint_rows")
