"""What the intake tells the layers above it, which it does not import."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the report mover inside the transaction that stores a batch from the
# stream, with `oldest`: the earliest created_at of the batch. After a backlog (the
# database was down while the stream kept accepting) that is older than the
# minutes a detection pass recounts; the pipeline moves its counting watermark
# back (spikes.counting.recount_from, connected in SpikesConfig.ready).
reports_stored = Signal()
