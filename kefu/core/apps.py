from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = _("Organisation and system")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import config, workcalendar
        from .models import CalendarDay, Setting

        # The per-process caches of settings and calendar: a change is seen at once here.
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(config.invalidate, sender=Setting, dispatch_uid=f"kefu.config.{name}")
            signal.connect(workcalendar.invalidate, sender=CalendarDay, dispatch_uid=f"kefu.calendar.{name}")
