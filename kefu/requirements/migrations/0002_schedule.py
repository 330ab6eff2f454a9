from django.db import migrations

SCHEDULE = "kefu-requirements"


def create_schedule(apps, schema_editor):
    """Open the HSF cycles that are due (December, January / July), hourly: idempotent."""
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name=SCHEDULE,
        defaults={"func": "kefu.requirements.services.scheduled", "schedule_type": "H", "repeats": -1},
    )


def drop_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("requirements", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
