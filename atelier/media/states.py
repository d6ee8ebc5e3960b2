"""The life of a media item, in one place: uploaded → processing → ready | failed.

A failed item keeps its original, so `retry` sends it back to processing. Every change of state
goes through `transition`, which refuses moves the diagram does not allow, so a late or
duplicated task can never turn a ready item back into a processing one by accident.
"""

from django.db import models


class MediaState(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ALLOWED_TRANSITIONS = {
    MediaState.UPLOADED: {MediaState.PROCESSING, MediaState.READY, MediaState.FAILED},
    MediaState.PROCESSING: {MediaState.PROCESSING, MediaState.READY, MediaState.FAILED},
    # A ready item goes back to processing when its renditions must be rebuilt (a new crop).
    MediaState.READY: {MediaState.PROCESSING},
    MediaState.FAILED: {MediaState.PROCESSING},
}


class InvalidTransition(Exception):
    pass


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(MediaState(current), set())


def transition(item, target: str, *, reason: str = "") -> None:
    """Move `item` to `target` (not saved: the caller saves it in its own transaction)."""
    if not can_transition(item.state, target):
        raise InvalidTransition(f"A media item cannot go from {item.state} to {target}.")
    item.state = target
    item.failure_reason = reason if target == MediaState.FAILED else ""
    if target == MediaState.READY:
        item.progress = 1.0
    elif target == MediaState.PROCESSING:
        item.progress = 0.0


class CheckState(models.TextChoices):
    """An item's AI check, beside its rendering: pending → pass | review | hold | error.

    `review`: the evidence asked for a person and a moderator let the work through; `error`: the
    detector could not decide (it is retried; the post stays private meanwhile); `stuck`: the
    periodic sweep (protection.detection.sweep) re-queued the check its whole budget and it still
    has no verdict — the post stays private, its author is told, and the sweep keeps trying, slower."""

    PENDING = "pending", "Being checked"
    PASS = "pass", "No sign of AI generation"
    REVIEW = "review", "Cleared by a moderator"
    HOLD = "hold", "Held"
    ERROR = "error", "Could not be checked yet"
    STUCK = "stuck", "Could not be checked"


# The checks that let a post through to public, under the detection policy.
CHECKS_LETTING_THROUGH = frozenset({CheckState.PASS, CheckState.REVIEW})
