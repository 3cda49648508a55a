"""Request bodies sent with Transfer-Encoding: chunked, which Django cannot read.

Django reads CONTENT_LENGTH bytes of a body; a chunked request has no
Content-Length, so its body read as empty (a valid report was refused as
"service: This field is required"). This WSGI middleware, around the whole
application, reads such a body before Django sees it, at most
DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 beyond), and hands it on with its length.
Where the server does not decode chunked bodies itself (it does not set
`wsgi.input_terminated`, as gunicorn does and Django's development server does
not), the answer is 411 Length Required, saying to send a Content-Length.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable

from django.conf import settings

from outagewatch.api_errors import API_PREFIX, error_body

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class ChunkedBodies:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or environ.get("CONTENT_LENGTH"):
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return _refuse(
                environ,
                start_response,
                "411 Length Required",
                "This server cannot read a chunked body: send the request with a Content-Length header.",
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            return _refuse(
                environ,
                start_response,
                "413 Request Entity Too Large",
                f"The body is larger than {limit} bytes, the most this server takes.",
            )
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)


def _refuse(environ: dict, start_response: Callable, status: str, detail: str) -> list[bytes]:
    if environ.get("PATH_INFO", "").startswith(API_PREFIX):
        body, content_type = json.dumps(error_body(detail)).encode(), "application/json"
    else:
        body, content_type = detail.encode(), "text/plain; charset=utf-8"
    # The unread body is still on the connection; the server closes it after this
    # answer (a WSGI application may not send Connection itself).
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
