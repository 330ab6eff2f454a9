from django.db import migrations

STATISTICS_SCHEDULE = "kefu-statistics"


def create_schedule(apps, schema_editor):
    """Fresh planner statistics every night, from the background worker (kefu.core.maintenance)."""
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name=STATISTICS_SCHEDULE,
        defaults={"func": "kefu.core.maintenance.scheduled", "schedule_type": "D", "repeats": -1},
    )


def drop_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=STATISTICS_SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_outbox"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
