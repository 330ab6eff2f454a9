from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = _("Organisation and system")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from . import auth, config, org, workcalendar
        from .db import durability  # noqa: F401 - registers its start-up check (issue 11)
        from .models import ApiToken, CalendarDay, Department, Membership, Setting

        # The per-process caches of settings and calendar: a change is seen at once here.
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(config.invalidate, sender=Setting, dispatch_uid=f"kefu.config.{name}")
            signal.connect(workcalendar.invalidate, sender=CalendarDay, dispatch_uid=f"kefu.calendar.{name}")
            signal.connect(org.forget_departments, sender=Department, dispatch_uid=f"kefu.departments.{name}")
            for model in (ApiToken, get_user_model(), Membership):
                signal.connect(auth.forget, sender=model, dispatch_uid=f"kefu.auth.{model.__name__}.{name}")
