"""The ``kefu`` console command: manage.py plus kefu's own commands."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kefu"
    # `kefu workflow-doc` and `kefu workflow_doc` are the same command.
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        from django.core.management import get_commands

        alt = argv[1].replace("-", "_")
        if argv[1] not in get_commands() and alt in get_commands():
            argv[1] = alt
    execute_from_command_line(argv)
    return 0
