"""The ``kefu`` console command: manage.py plus kefu's own commands."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kefu"
    execute_from_command_line(argv)
    return 0
