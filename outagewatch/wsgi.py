import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")
application = get_wsgi_application()

# After Django is set up (the middleware reads its settings): chunked request bodies.
from outagewatch.chunked import ChunkedBodies  # noqa: E402

application = ChunkedBodies(application)
