"""Settings of the intake benchmark only: production settings plus a bare view.

Never used in production: `benchmarks/intake_load.py` points gunicorn at this
module, so the bare view and the report intake run in one process, through the
same middleware and server settings.
"""

from outagewatch.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.intake_urls"
