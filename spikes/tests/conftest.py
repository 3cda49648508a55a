from datetime import UTC, datetime

import pytest

# A Monday, so that weekly slots line up with the start of the history.
T0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _forget_cached_profiles():
    """Series ids repeat from test to test: the pass's profile cache must not."""
    from spikes import detecting

    detecting._profiles.clear()
