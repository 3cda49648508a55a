"""Security headers that Django's SecurityMiddleware does not send, and the one
exemption an embeddable widget needs.

Every response, static files included (WhiteNoise serves those before any
middleware: `static_file_headers`), gets a Content-Security-Policy (`default-src 'self'`: no inline
script or style anywhere, so an injected `<script>` or `style=` does nothing even if
escaping were ever missed) and a Permissions-Policy that turns off the browser
features no page of ours uses. Framing is refused (`frame-ancestors 'none'`, and
X-Frame-Options: DENY from Django's clickjacking middleware) except on views
decorated with `embeddable`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Features a page of ours never asks for; an injected iframe or script cannot either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

_EMBEDDABLE_ATTR = "outagewatch_frame_ancestors"
_EXTRA_ATTR = "outagewatch_csp_extra"


def content_security_policy(frame_ancestors: str = "'none'", extra: dict[str, str] | None = None) -> str:
    directives = {
        "default-src": "'self'",
        # Our own JSON-LD/JSON script blocks are data, not code; nothing needs more.
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
        **(extra or {}),
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let other sites put this view in an iframe (the status widget).

    The allowed embedders are the EMBED_FRAME_ANCESTORS setting (default: any
    https site). Only frame-ancestors is relaxed; the rest of the policy stays.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        setattr(response, _EMBEDDABLE_ATTR, " ".join(settings.EMBED_FRAME_ANCESTORS))
        # Django's XFrameOptionsMiddleware skips responses marked so.
        response.xframe_options_exempt = True
        return response

    return wrapped


def csp_allowing(**directives: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Widen the policy for one view, directive by directive (underscores for
    hyphens): for third-party pages we serve but did not write, such as the API's
    Swagger UI and Redoc, whose styles are injected at run time. Scripts stay
    'self' only."""
    extra = {name.replace("_", "-"): value for name, value in directives.items()}

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            setattr(response, _EXTRA_ATTR, extra)
            return response

        return wrapped

    return decorate


def csp_header_name() -> str:
    return "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"


def static_file_headers(headers, path: str, url: str) -> None:
    """WhiteNoise's WHITENOISE_ADD_HEADERS_FUNCTION: the same policy on static files,
    which WhiteNoise answers before any Django middleware runs. An SVG or an HTML
    file opened on its own is a document too, and must not run injected script."""
    headers[csp_header_name()] = content_security_policy()
    headers["Permissions-Policy"] = PERMISSIONS_POLICY


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()
        self.header = csp_header_name()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        ancestors = getattr(response, _EMBEDDABLE_ATTR, None)
        extra = getattr(response, _EXTRA_ATTR, None)
        if ancestors or extra:
            policy = content_security_policy(ancestors or "'none'", extra)
        else:
            policy = self.policy
        response.headers.setdefault(self.header, policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
