"""Helpers shared by the lab's tests."""

from __future__ import annotations

import socket

import pytest

from lab.simulation_catalog import SERVICES
from reports.tests.factories import ServiceFactory, ServiceGroupFactory


@pytest.fixture
def simulated_catalog(db):
    """Creates the catalog entries of simulated services, as the real catalog has
    them (slug, problem types, Meta's apps in the Meta group): make("facebook", ...)."""

    def make(*slugs: str) -> None:
        specs = {spec.slug: spec for spec in SERVICES}
        for slug in slugs:
            spec = specs[slug]
            group = ServiceGroupFactory(slug=spec.group, name=spec.group.title()) if spec.group else None
            ServiceFactory(slug=slug, name=slug.title(), group=group, problems=list(spec.problems))

    return make


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
