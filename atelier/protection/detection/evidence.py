"""Evidence a moderator can read: one sentence per signal, its score against the threshold in force,
and the raw excerpt kept aside (the template folds it away).

Built from what each reader records (`generator`, `where`, `settings`, `excerpt` for provenance;
bit counts for the watermark; score and thresholds for the classifier and Hive), so an old row
without some key still reads as a sentence rather than a dictionary.
"""

import json
from dataclasses import dataclass
from math import comb

SIGNAL_NAMES = {
    "png_text": "PNG text",
    "exif": "EXIF",
    "xmp": "XMP / IPTC",
    "c2pa": "Content Credentials (C2PA)",
    "stealth": "Hidden pixel metadata",
    "watermark": "Invisible watermark",
    "classifier": "AI-image classifier",
    "hive": "Hive",
    "provenance": "Metadata",
}
MAX_SETTINGS = 6


@dataclass(frozen=True)
class ReadableEvidence:
    signal: str  # the signal's name in words
    outcome: str  # "hit", "clear", "error"
    sentence: str
    score: str = ""  # "0.412 (review at 0.970, hidden at 0.999)", "46 of 48 bits (hit from 40)"
    raw: str = ""  # the excerpt or the detail, for the folded part


def _settings(settings: dict) -> str:
    parts = [f"{key} {value}" for key, value in list((settings or {}).items())[:MAX_SETTINGS]]
    return ", ".join(parts)


def _provenance(outcome: str, detail: dict) -> str:
    if outcome != "hit":
        return "No generator's metadata found here."
    where = detail.get("where") or detail.get("chunk") or detail.get("field") or "The file's metadata"
    generator = detail.get("generator") or "an AI image generator"
    settings = _settings(detail.get("settings") or {})
    sentence = f"{where[0].upper()}{where[1:]} written by {generator}"
    if detail.get("digital_source_type") and not settings:
        settings = f"digital source type {str(detail['digital_source_type']).rsplit('/', 1)[-1]}"
    return f"{sentence}: {settings}." if settings else f"{sentence}."


def _c2pa(outcome: str, detail: dict) -> str:
    if outcome == "hit":
        source = str(detail.get("digital_source_type", "")).rsplit("/", 1)[-1]
        signer = detail.get("signer") or "an unknown signer"
        return f"Content Credentials signed by {signer} declare it {source} ({detail.get('validation_state', '?')})."
    if detail.get("manifest"):
        return f"Content Credentials by {detail.get('signer') or 'an unknown signer'} make no AI claim."
    return "No Content Credentials."


def chance_of_matching(matched: int, bits: int) -> float:
    """The chance that an unmarked image's coin-flip bits agree with a mark on `matched` or more of
    `bits` (the binomial tail)."""
    return sum(comb(bits, k) for k in range(matched, bits + 1)) / 2**bits


def _watermark(outcome: str, detail: dict) -> tuple[str, str]:
    best = detail.get("best") or {}
    if not best:
        return (detail.get("skipped") or "Not read."), ""
    score = f"{best['matched']} of {best['bits']} bits match (held from {best['hit_bits']}"
    score += f", queued from {best['likely_bits']})" if "likely_bits" in best else ")"
    odds = chance_of_matching(best["matched"], best["bits"])
    if outcome == "hit":
        return (f"The {best['generator']} invisible watermark is in the pixels; an unmarked image matches this "
                f"well by chance about 1 in {1 / max(odds, 1e-300):,.0f}."), score  # fmt: skip
    if detail.get("likely"):
        chance = f"an unmarked image matches this well about 1 in {1 / max(odds, 1e-300):,.0f}"
        sentence = f"Possibly the {detail.get('generator')} invisible watermark: too few bits to hold the work"
        return f"{sentence}, enough to queue it ({chance}).", score
    return f"No Stable Diffusion watermark (closest: {best['generator']}).", score


def _scored(signal: str, outcome: str, detail: dict) -> tuple[str, str]:
    score, review, hold = detail.get("score"), detail.get("threshold"), detail.get("hold_threshold")
    if score is None:
        return "No score.", ""
    parts = [f"{score:.3f}"]
    thresholds = [f"review at {review:.3f}"] if review is not None else []
    if hold is not None:
        thresholds.append(f"hidden at {hold:.3f}")
    text = f"{parts[0]} ({', '.join(thresholds)})" if thresholds else parts[0]
    who = "Our classifier" if signal == "classifier" else "Hive"
    if hold is not None and score >= hold:
        verdict = "over the hold threshold: the post is hidden until a moderator decides"
    elif review is not None and score >= review:
        verdict = "over the review threshold: queued for a moderator, the post stays visible"
    else:
        verdict = "under the review threshold: no action"
    head = f" ({detail['head']})" if detail.get("head") else ""
    return f"{who}{head} scored it {score:.3f}, {verdict}.", text


def describe(signal: str, outcome: str, detail: dict) -> ReadableEvidence:
    """The readable form of one stored evidence row."""
    detail = detail or {}
    name = SIGNAL_NAMES.get(signal, signal)
    if outcome == "error":
        return ReadableEvidence(name, outcome, f"Could not be read: {detail.get('error', 'unknown error')}")
    score = ""
    if signal in ("png_text", "exif", "xmp", "stealth", "provenance"):
        sentence = _provenance(outcome, detail)
    elif signal == "c2pa":
        sentence = _c2pa(outcome, detail)
    elif signal == "watermark":
        sentence, score = _watermark(outcome, detail)
    elif signal in ("classifier", "hive"):
        sentence, score = _scored(signal, outcome, detail)
    else:
        sentence = "Found." if outcome == "hit" else "Nothing found."
    raw = detail.get("excerpt") or json.dumps(detail, ensure_ascii=False, indent=1, default=str)
    return ReadableEvidence(name, outcome, sentence, score, raw[:2000])
