#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")
    from django.core.management import execute_from_command_line

    from outagewatch.startup import ensure_secret_key

    # Before the settings are read: without SECRET_KEY, the generated one they use.
    ensure_secret_key()
    execute_from_command_line(sys.argv)
