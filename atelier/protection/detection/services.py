"""The detection step: read an item's original, record every signal, decide, and hold when the policy says so.

- Near-certain signals (the file's own provenance, a Stable Diffusion watermark) label the item
  AI-generated and hold its post at once.
- Scores (the CLIP classifier, Hive when it is switched on) only flag the item for a person: its post
  is held *for review* and goes to the moderators' queue, with the score.
- A signal that failed is recorded as that signal's error and decides nothing.

Images and animations are read from the original upload (before any metadata is stripped); a video
from its container's metadata and three frames (the poster moment and two more), each checked by
the pixel signals. The thresholds live in `DetectionPolicy`, edited in the admin.
"""

import io
import logging

import numpy as np
from django.conf import settings
from django.db import transaction

from atelier.media.decoding import DecodedOriginal
from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import CheckState
from atelier.media.storages import original_as_local_file
from atelier.moderation import services as moderation
from atelier.posts import media_checks
from atelier.protection.detection import classifier, hive, provenance, signals, watermark
from atelier.protection.detection.models import (
    DetectionPolicy,
    DetectionProbe,
    ItemEmbedding,
    ItemVerdict,
    SignalEvidence,
    Verdict,
)
from atelier.protection.detection.provenance import Finding

logger = logging.getLogger(__name__)

VIDEO_FRAMES = 3  # the poster moment and two more, spread over the video
VIDEO_FRAME_LONG_SIDE = 1280
_LABELS = {
    "png_text": "the file carries the generation settings of {generator}",
    "exif": "the file's metadata names {generator} as the software that made it",
    "xmp": "the file's metadata declares it AI-generated (IPTC digital source type)",
    "c2pa": "the file's Content Credentials declare it AI-generated",
    "stealth": "the file's pixels hide the generation settings of {generator}",
    "watermark": "the image carries the invisible watermark that {generator} adds to what it makes",
}
_FLAGS = {
    "classifier": "our AI-image classifier scored it {score:.2f} (review threshold {threshold:.2f})",
    "hive": "Hive's AI-image detector scored it {score:.2f} (review threshold {threshold:.2f})",
}


def _label_reason(finding: Finding) -> str:
    return _LABELS[finding.signal].format(generator=finding.detail.get("generator", "an AI image generator"))


def adopted_probe() -> classifier.Probe | None:
    """The newest retrained probe that beat the shipped head, if any (see retrain_detection_probe)."""
    row = DetectionProbe.objects.filter(adopted=True).order_by("-created_at").first()
    if row is None:
        return None
    coef = np.frombuffer(bytes(row.coef), dtype=np.float32)
    return classifier.Probe(
        coef=coef, intercept=row.intercept, name=f"probe-{row.pk}", threshold=row.threshold,
        hold_threshold=row.hold_threshold,
    )  # fmt: skip


def _read_signals(item: MediaItem, path, probe, policy, decoded=None) -> tuple[list[Finding], np.ndarray | None]:
    if item.kind != MediaKind.VIDEO:
        findings, embedding = signals.run_local_signals(path, item.original_format, probe=probe, decoded=decoded)
        mime = f"image/{item.original_format.lower()}"
        findings += _hive_findings(lambda: (path.read_bytes(), mime), policy)
        return findings, embedding
    return _video_signals(item, path, probe, policy)


def _video_signals(item: MediaItem, path, probe, policy) -> tuple[list[Finding], np.ndarray | None]:
    """Container provenance (C2PA in MP4/MOV), then every frame through the pixel signals; a signal
    hits when any frame hits, and its score is the highest frame's."""
    from atelier.media.video import sample_frames

    is_mp4_family = item.original_format == "mov"  # what FFmpeg calls MP4 / MOV; WebM carries no C2PA
    findings = [
        provenance.c2pa_manifest(path, "video/mp4")
        if is_mp4_family
        else Finding("c2pa", "clear", {"format": item.original_format})
    ]
    try:
        frames = sample_frames(path, VIDEO_FRAMES, long_side=VIDEO_FRAME_LONG_SIDE)
    except Exception as error:
        message = {"error": f"frames could not be read: {type(error).__name__}: {str(error)[:200]}"}
        return [*findings, Finding("watermark", "error", message), Finding("classifier", "error", message)], None
    marks = [watermark.read_watermarks(frame) for frame in frames]
    classified = [classifier.classify(frame, probe=probe) for frame in frames]
    findings.append(_strongest("watermark", marks))
    findings.append(_strongest("classifier", [finding for finding, _ in classified]))
    embeddings = [embedding for _, embedding in classified if embedding is not None]
    if frames:
        findings += _hive_findings(lambda: (_jpeg(frames[0]), "image/jpeg"), policy)
    return findings, (np.mean(embeddings, axis=0) if embeddings else None)


def _strongest(signal: str, per_frame: list[Finding]) -> Finding:
    if not per_frame:
        return Finding(signal, "error", {"error": "the video has no frames to check"})
    ranked = sorted(per_frame, key=lambda f: (f.outcome == "hit", f.outcome != "error", f.detail.get("score", 0)))
    best = ranked[-1]
    return Finding(signal, best.outcome, {**best.detail, "frames": len(per_frame)})


def _jpeg(frame) -> bytes:
    buffer = io.BytesIO()
    frame.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _hive_findings(read, policy) -> list[Finding]:
    """Hive's answer, only when an API key is configured (it is a paid, remote service)."""
    if not settings.HIVE_API_KEY:
        return []
    data, mime = read()
    finding = hive.hive_check(data, mime, threshold=policy.hive_threshold)
    return [finding] if finding is not None else []


def decide(findings: list[Finding], policy: DetectionPolicy) -> tuple[str, str, float | None]:
    """(verdict, reason in plain words, the highest flagging score) under the admin's policy.

    Provenance and watermark hits label the work (hold). A score alone holds only at or over the hold
    threshold (the classifier's `classifier_threshold`); at or over the review threshold it queues the
    work for review and leaves it visible (Verdict.REVIEW). Hive only ever queues for review. Scores
    are compared with the thresholds `judged` recorded in each finding (call it first)."""
    labels = [
        finding
        for finding in findings
        if finding.hit
        and (
            (finding.signal in provenance.SIGNALS and policy.hold_on_provenance)
            or (finding.signal == "watermark" and policy.hold_on_watermark)
        )
    ]
    if labels:
        return Verdict.AI_LABELLED, "; ".join(dict.fromkeys(_label_reason(f) for f in labels)), None
    held, queued, top = [], [], None
    for finding in findings:
        score = finding.detail.get("score")
        if finding.outcome == "error" or score is None or finding.signal not in _FLAGS:
            continue
        review, hold = finding.detail.get("threshold", 0.5), finding.detail.get("hold_threshold")
        if score >= review or _over(score, hold):
            line = _FLAGS[finding.signal].format(score=score, threshold=hold if _over(score, hold) else review)
            (held if _over(score, hold) else queued).append(line)
            top = max(top or 0.0, score)
    for finding in findings:
        if finding.signal == "watermark" and finding.detail.get("likely") and policy.hold_on_watermark:
            best = finding.detail.get("best") or {}
            queued.append(
                f"the image may carry the {finding.detail.get('generator')} invisible watermark "
                f"({best.get('matched')} of {best.get('bits')} bits, held from {best.get('hit_bits')})"
            )
    if held:
        return Verdict.FLAGGED, "; ".join(held + queued), top
    if queued:
        return Verdict.REVIEW, "; ".join(queued), top
    return Verdict.HUMAN, "", None


def _over(score: float, threshold: float | None) -> bool:
    return threshold is not None and score >= threshold


def thresholds(signal: str, detail: dict, policy: DetectionPolicy) -> tuple[float, float | None]:
    """(review threshold, hold threshold or None) in force for a scoring signal, from the signal's own
    finding. A retrained probe brings both of its own (fitted on this site's decisions, in its score
    space); for the shipped head the policy's apply (its package threshold when the policy's hold
    threshold is empty). A review threshold never sits above the hold threshold."""
    if signal == "hive":
        return policy.hive_threshold, None
    if detail.get("hold_threshold") is not None:
        return min(detail["threshold"], detail["hold_threshold"]), detail["hold_threshold"]
    hold = policy.classifier_threshold
    if hold is None:
        hold = float(detail.get("threshold", 0.5))
    return min(policy.classifier_review_threshold, hold), hold


def judged(findings: list[Finding], policy: DetectionPolicy) -> list[Finding]:
    """The scoring signals' findings with hit / clear against the thresholds in force (the classifier
    reports against its package's own threshold), each threshold recorded in the evidence."""
    out = []
    for finding in findings:
        score = finding.detail.get("score")
        if finding.signal not in _FLAGS or finding.outcome == "error" or score is None:
            out.append(finding)
            continue
        review, hold = thresholds(finding.signal, finding.detail, policy)
        detail = {**finding.detail, "threshold": review, "hold_threshold": hold}
        if finding.signal == "classifier":
            detail["head_threshold"] = finding.detail.get("threshold")
        out.append(Finding(finding.signal, "hit" if score >= review else "clear", detail))
    return out


# Signals whose failure leaves an item unchecked: the classifier reads every upload's pixels, and Hive
# is asked whenever it is configured. (A provenance reader's error on odd metadata decides nothing.)
GATING_SIGNALS = ("classifier", "hive")


class DetectionIncomplete(Exception):
    """A signal the verdict depends on could not be read: the item's check is `error` and is retried."""


def media_item_check_failed(*, item_id: int) -> None:
    """The detector crashed, timed out or could not read a gating signal: the item stays unchecked
    (its post private, its author told) until a retry decides."""
    media_checks.item_check_record(item_id=item_id, check=CheckState.ERROR)


def _check_for(verdict: str, findings: list[Finding], reason: str, approved: bool) -> tuple[str, str, bool]:
    """(check, reason shown to the author, said AI) — the verdict handed over to the post."""
    if verdict == Verdict.AI_LABELLED:
        return (CheckState.REVIEW if approved else CheckState.HOLD), f"Held: {reason}.", True
    if verdict == Verdict.FLAGGED:
        return (CheckState.REVIEW if approved else CheckState.HOLD), f"Held for review: {reason}.", False
    if any(finding.signal in GATING_SIGNALS and finding.outcome == "error" for finding in findings):
        return CheckState.ERROR, "", False
    if verdict == Verdict.REVIEW:
        return CheckState.REVIEW, "", False  # shown, queued for a moderator, never signed as human work
    return CheckState.PASS, "", False


def media_item_detect(*, item_id: int, decoded: DecodedOriginal | None = None) -> str | None:
    """Run every signal on one image, animation or video; returns the verdict (None: nothing to check).
    The verdict reaches the post as the item's check (posts.media_checks); raises DetectionIncomplete
    after recording the evidence when a gating signal failed, so the task retries. `decoded`: the
    original's first frame as the media step decoded it in the same task (see media_item_render_and_detect)."""
    item = MediaItem.objects.filter(pk=item_id).select_related("post").first()
    if item is None:
        return None
    if item.kind == MediaKind.EMBED or not item.original_name:
        media_checks.item_check_record(item_id=item_id, check=media_checks.embed_check())
        return None
    policy = DetectionPolicy.current()
    with original_as_local_file(item.original_name) as path:
        findings, embedding = _read_signals(item, path, adopted_probe(), policy, decoded)
    findings = judged(findings, policy)
    verdict, reason, score = decide(findings, policy)
    with transaction.atomic():
        SignalEvidence.objects.filter(item=item).delete()
        SignalEvidence.objects.bulk_create(
            SignalEvidence(item=item, signal=finding.signal, outcome=finding.outcome, detail=finding.detail)
            for finding in findings
        )
        ItemVerdict.objects.update_or_create(item=item, defaults={"verdict": verdict, "reason": reason})
        if embedding is not None:
            vector = np.asarray(embedding, dtype=np.float32).tobytes()
            ItemEmbedding.objects.update_or_create(item=item, defaults={"vector": vector})
        # A post a moderator approved is not held again by the same evidence (a retry, a re-render).
        approved = verdict != Verdict.HUMAN and moderation.approved_by_moderator(item.post_id)
        check, check_reason, said_ai = _check_for(verdict, findings, reason, approved)
        media_checks.item_check_record(item_id=item.pk, check=check, reason=check_reason, said_ai=said_ai)
        if check == CheckState.HOLD:
            moderation.case_open_from_detection(
                post=item.post, reason=check_reason, labelled=verdict == Verdict.AI_LABELLED, flag_score=score
            )
        elif verdict == Verdict.REVIEW and not approved:
            # Below the hold threshold: the work stays visible, and ranks the review queue by its score.
            queued = f"Queued for review: {reason}."
            moderation.case_queue_from_detection(post=item.post, reason=queued, flag_score=score)
    if check == CheckState.ERROR:
        raise DetectionIncomplete(f"item {item_id}: a gating signal could not be read")
    return verdict
