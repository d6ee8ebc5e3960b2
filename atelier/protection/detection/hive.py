"""Optional remote detector: Hive's AI-generated content detection, on only when HIVE_API_KEY is set.

Two APIs, chosen by HIVE_API_VERSION:
  - "v3" (default): POST {base}/api/v3/hive/ai-generated-and-deepfake-content-detection,
    `Authorization: Bearer <key>`, JSON {"input": [{"media_base64": "data:<mime>;base64,…"}]};
    answer {"output": [{"time": 0, "classes": [{"class": "ai_generated", "value": 0.98}, …]}]}.
  - "v2": POST {base}/api/v2/task/sync, `Authorization: Token <key>`, multipart field `media`;
    answer {"status": [{"status": {"code": "0"}, "response": {"output": [{"classes":
    [{"class": "ai_generated", "score": 0.98}, …]}]}}]}.
Both return two heads whose scores each sum to 1: ai_generated / not_ai_generated, and the source
(midjourney, dalle, stablediffusionxl, flux, …, or none / inconclusive); a `deepfake` class may ride
along. The worst frame's ai_generated score is the signal's score.

429, 5xx, timeouts and dropped connections are retried with exponential backoff (Retry-After is
honoured up to a cap); anything else that is not a well-formed answer is this signal's error, so a
slow or hostile endpoint never decides a verdict and never stops processing. Requests go through
the guarded client (core/outbound.py): an HIVE_API_URL that points inside the network is refused.
"""

import base64
import json
import math
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from atelier.core import outbound
from atelier.protection.detection.provenance import Finding

DEFAULT_BASE = "https://api.thehive.ai"
V3_PATH = "/api/v3/hive/ai-generated-and-deepfake-content-detection"
V2_PATH = "/api/v2/task/sync"
MAX_ANSWER = 1024 * 1024  # bytes of an answer read; Hive's is a few kilobytes
MAX_RETRY_AFTER = 30.0
NOT_SOURCES = {"ai_generated", "not_ai_generated", "deepfake", "none", "inconclusive", "inconclusive_video"}


class HiveAnswerError(ValueError):
    """The endpoint answered, but not with Hive's documented shape."""


def _settings() -> dict:
    from django.conf import settings

    return {
        "api_key": getattr(settings, "HIVE_API_KEY", ""),
        "version": getattr(settings, "HIVE_API_VERSION", "v3"),
        "base_url": getattr(settings, "HIVE_API_URL", "") or DEFAULT_BASE,
        "timeout": float(getattr(settings, "HIVE_TIMEOUT_SECONDS", 20)),
        "retries": int(getattr(settings, "HIVE_RETRIES", 2)),
        "threshold": float(getattr(settings, "HIVE_THRESHOLD", 0.9)),
    }


@dataclass(frozen=True)
class _Request:
    url: str
    body: bytes
    headers: dict


def _request(version: str, base_url: str, api_key: str, data: bytes, mime: str) -> _Request:
    base = base_url.rstrip("/")
    if urlsplit(base).scheme not in {"http", "https"}:
        raise ValueError(f"HIVE_API_URL must be an http(s) URL, not {base[:60]!r}")
    if version == "v2":
        boundary = secrets.token_hex(16)
        extension = mime.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="media"; filename="upload.{extension}"\r\n'.encode(),
                f"Content-Type: {mime}\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {"Authorization": f"Token {api_key}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
        headers["Accept"] = "application/json"
        return _Request(base + V2_PATH, body, headers)
    payload = {"input": [{"media_base64": f"data:{mime};base64,{base64.b64encode(data).decode()}"}]}
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json", "Accept": "application/json"}
    body = json.dumps(payload).encode()
    return _Request(base + V3_PATH, body, headers)


def _frames(answer, version: str) -> list:
    if version == "v2":
        status = answer["status"][0]
        code = str((status.get("status") or {}).get("code", "0"))
        if code != "0":
            raise HiveAnswerError(f"task status {code}: {(status.get('status') or {}).get('message', '')[:200]}")
        return status["response"]["output"]
    return answer["output"]


def parse(answer, version: str) -> dict:
    """{"score": P(AI) of the most AI-looking frame, "source": (class, score) or None, "deepfake": …}."""
    try:
        frames = _frames(answer, version)
        if not isinstance(frames, list) or not frames:
            raise HiveAnswerError("no output frames")
        best = None
        for frame in frames[:1000]:
            scores = {}
            for item in frame["classes"]:
                value = item.get("value", item.get("score"))
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise HiveAnswerError(f"class {str(item.get('class'))[:60]!r} has no numeric score")
                if not 0.0 <= value <= 1.0:
                    raise HiveAnswerError(f"score {value} is outside 0–1")
                scores[str(item["class"])[:80]] = float(value)
            if "ai_generated" not in scores:
                raise HiveAnswerError("no ai_generated class")
            if best is None or scores["ai_generated"] > best["ai_generated"]:
                best = scores
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise HiveAnswerError(f"unexpected answer shape ({type(error).__name__}: {str(error)[:100]})") from error
    sources = {name: value for name, value in best.items() if name not in NOT_SOURCES}
    source = max(sources.items(), key=lambda pair: pair[1]) if sources else None
    return {"score": best["ai_generated"], "source": source, "deepfake": best.get("deepfake")}


def _retry_after(answer: outbound.OutboundResponse) -> float | None:
    try:
        return min(float(answer.headers.get("Retry-After", "")), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return None


def hive_check(
    image_bytes: bytes,
    mime: str,
    *,
    api_key: str | None = None,
    version: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    threshold: float | None = None,
    backoff: float = 0.5,
) -> Finding | None:
    """Hive's verdict on one image as a Finding (hit at or above `threshold`), or None when Hive is not
    configured. Arguments left out come from settings (HIVE_API_KEY, HIVE_API_VERSION, HIVE_API_URL,
    HIVE_TIMEOUT_SECONDS, HIVE_RETRIES, HIVE_THRESHOLD)."""
    config = _settings()
    api_key = api_key if api_key is not None else config["api_key"]
    if not api_key:
        return None
    version = (version or config["version"]).lower()
    timeout = timeout if timeout is not None else config["timeout"]
    retries = retries if retries is not None else config["retries"]
    threshold = threshold if threshold is not None else config["threshold"]
    if version not in {"v2", "v3"}:
        return Finding("hive", "error", {"error": f"HIVE_API_VERSION must be v2 or v3, not {version[:20]!r}"})
    try:
        request = _request(version, base_url or config["base_url"], api_key, image_bytes, mime)
    except ValueError as error:
        return Finding("hive", "error", {"error": str(error)})
    attempts, last_error = 0, ""
    while True:
        attempts += 1
        wait = backoff * 2 ** (attempts - 1)
        try:
            answer = outbound.request(
                "POST", request.url, body=request.body, headers=request.headers, timeout=timeout, max_bytes=MAX_ANSWER
            )
            if answer.status >= 300:
                last_error = f"HTTP {answer.status}"
                if answer.status != 429 and answer.status < 500:
                    return Finding("hive", "error", {"error": last_error, "attempts": attempts, "api": version})
                wait = _retry_after(answer) or wait
            else:
                result = parse(json.loads(answer.body), version)
                break
        except outbound.OutboundRefused as error:
            return Finding("hive", "error", {"error": str(error), "attempts": attempts, "api": version})
        except outbound.OutboundTooLarge:
            message = "invalid answer: answer larger than 1 MB"
            return Finding("hive", "error", {"error": message, "attempts": attempts, "api": version})
        except outbound.OutboundError as error:
            last_error = str(error)
        except (ValueError, HiveAnswerError) as error:  # json.JSONDecodeError is a ValueError
            message = f"invalid answer: {str(error)[:200]}"
            return Finding("hive", "error", {"error": message, "attempts": attempts, "api": version})
        if attempts > retries:
            return Finding("hive", "error", {"error": last_error[:300], "attempts": attempts, "api": version})
        time.sleep(wait)
    detail = {"score": round(result["score"], 4), "threshold": threshold, "api": version, "attempts": attempts}
    if result["source"]:
        detail["source"], detail["source_score"] = result["source"][0], round(result["source"][1], 4)
    if result["deepfake"] is not None:
        detail["deepfake"] = round(result["deepfake"], 4)
    return Finding("hive", "hit" if result["score"] >= threshold else "clear", detail)
