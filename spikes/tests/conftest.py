from datetime import UTC, datetime

# A Monday, so that weekly slots line up with the start of the history.
T0 = datetime(2026, 3, 2, tzinfo=UTC)
