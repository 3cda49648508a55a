import os

from django.core.wsgi import get_wsgi_application

from outagewatch.chunked import ChunkedBodies
from outagewatch.startup import ensure_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")
# Before the settings are read: without SECRET_KEY, the generated one they use.
ensure_secret_key()
application = get_wsgi_application()
# Chunked request bodies (outagewatch/chunked.py) in front of Django.
application = ChunkedBodies(application)
