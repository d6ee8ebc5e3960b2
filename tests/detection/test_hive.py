"""The optional Hive detector against a local stand-in server that speaks Hive's documented v2 and v3
JSON: the auth header and body Hive expects, high and low scores, retry on 429, timeouts, hostile
answers and a refused key. No network beyond 127.0.0.1."""

import base64
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from atelier.protection.detection import hive

pytestmark = pytest.mark.django_db  # the session fixture in tests/conftest.py reads a table

IMAGE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
KEY = "test-hive-key"


def classes(ai: float, source: str = "midjourney", *, field: str) -> list[dict]:
    """Both heads, each summing to 1, as Hive returns them."""
    sources = [{"class": source, field: ai}, {"class": "none", field: 1 - ai}, {"class": "dalle", field: 0.0}]
    generation = [{"class": "ai_generated", field: ai}, {"class": "not_ai_generated", field: 1 - ai}]
    return [*generation, *sources, {"class": "deepfake", field: 0.01}]


def v3_answer(ai: float, source: str = "midjourney") -> dict:
    return {"id": "task-1", "model": "hive/ai-generated-and-deepfake-content-detection",
            "output": [{"time": 0, "classes": classes(ai, source, field="value")}]}  # fmt: skip


def v2_answer(ai: float, source: str = "midjourney") -> dict:
    media = {"type": "PHOTO", "mimetype": "image/jpeg", "width": 64, "height": 64, "num_frames": 1}
    return {
        "id": "task-2",
        "code": 200,
        "status": [
            {
                "status": {"code": "0", "message": "SUCCESS"},
                "response": {
                    "input": {"id": "task-2", "model_type": "CATEGORIZATION", "media": media},
                    "output": [{"time": 0, "classes": classes(ai, source, field="score")}],
                },
            }
        ],
    }


class StandIn:
    """A real HTTP server in a thread; each request takes the next scripted reply:
    (status, body bytes or dict, seconds to wait before answering, extra headers)."""

    def __init__(self):
        self.replies: list[tuple] = []
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stand_in.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, answer, delay, headers = stand_in.replies.pop(0)
                time.sleep(delay)
                payload = json.dumps(answer).encode() if isinstance(answer, dict) else answer
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout case)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def reply(self, status=200, answer=None, *, delay=0.0, headers=None):
        self.replies.append((status, answer if answer is not None else {}, delay, headers or {}))


@pytest.fixture
def stand_in(settings):
    # The stand-in listens on loopback, which the guarded client refuses unless the admin allows it.
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    server = StandIn()
    yield server
    server.server.shutdown()
    server.server.server_close()


def check(stand_in, version, **options):
    return hive.hive_check(
        IMAGE, "image/jpeg", api_key=KEY, version=version, base_url=stand_in.url, timeout=options.pop("timeout", 2),
        retries=options.pop("retries", 2), threshold=0.9, backoff=0.01, **options,
    )  # fmt: skip


def test_v3_sends_the_image_as_base64_with_a_bearer_key_and_reads_a_high_score(stand_in):
    stand_in.reply(200, v3_answer(0.991, "stablediffusionxl"))
    finding = check(stand_in, "v3")
    assert finding.signal == "hive" and finding.hit
    assert finding.detail["score"] == 0.991 and finding.detail["source"] == "stablediffusionxl"
    assert finding.detail["deepfake"] == 0.01 and finding.detail["api"] == "v3"
    sent = stand_in.requests[0]
    assert sent["path"] == "/api/v3/hive/ai-generated-and-deepfake-content-detection"
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    media = json.loads(sent["body"])["input"][0]["media_base64"]
    assert media.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(media.split(",", 1)[1]) == IMAGE


def test_v2_sends_a_multipart_media_field_with_a_token_key_and_reads_a_low_score(stand_in):
    stand_in.reply(200, v2_answer(0.02))
    finding = check(stand_in, "v2")
    assert finding.outcome == "clear" and finding.detail["score"] == 0.02 and finding.detail["api"] == "v2"
    sent = stand_in.requests[0]
    assert sent["path"] == "/api/v2/task/sync"
    assert sent["headers"]["Authorization"] == f"Token {KEY}"
    content_type = sent["headers"]["Content-Type"]
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + sent["body"])
    (part,) = list(message.iter_parts())
    assert part.get_param("name", header="content-disposition") == "media"
    assert part.get_content_type() == "image/jpeg" and part.get_payload(decode=True) == IMAGE


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_a_429_then_a_5xx_are_retried_until_the_answer(stand_in, version):
    answer = v2_answer(0.95) if version == "v2" else v3_answer(0.95)
    stand_in.reply(429, {"error": "rate limited"}, headers={"Retry-After": "0"})
    stand_in.reply(503, b"<html>busy</html>")
    stand_in.reply(200, answer)
    finding = check(stand_in, version)
    assert finding.hit and finding.detail["attempts"] == 3 and len(stand_in.requests) == 3


def test_retries_run_out_into_an_error(stand_in):
    for _ in range(3):
        stand_in.reply(502, b"bad gateway")
    finding = check(stand_in, "v3", retries=2)
    assert finding.outcome == "error" and finding.detail == {"error": "HTTP 502", "attempts": 3, "api": "v3"}


def test_a_server_slower_than_the_timeout_is_an_error_after_the_retries(stand_in):
    stand_in.reply(200, v3_answer(0.99), delay=1.0)
    stand_in.reply(200, v3_answer(0.99), delay=1.0)
    started = time.monotonic()
    finding = check(stand_in, "v3", timeout=0.3, retries=1)
    assert finding.outcome == "error" and finding.detail["error"] == "timed out" and finding.detail["attempts"] == 2
    assert time.monotonic() - started < 1.5


def test_a_timeout_then_an_answer_succeeds(stand_in):
    stand_in.reply(200, v3_answer(0.99), delay=1.0)
    stand_in.reply(200, v3_answer(0.97))
    finding = check(stand_in, "v3", timeout=0.3)
    assert finding.hit and finding.detail["score"] == 0.97 and finding.detail["attempts"] == 2


@pytest.mark.parametrize(
    ("version", "answer"),
    [
        ("v3", b"{not json"),
        ("v3", b"\xff\xfe\x00garbage"),
        ("v3", {"output": []}),
        ("v3", {"output": [{"classes": [{"class": "not_ai_generated", "value": 0.9}]}]}),
        ("v3", {"output": [{"classes": [{"class": "ai_generated", "value": "0.99"}]}]}),
        ("v3", {"output": [{"classes": [{"class": "ai_generated", "value": 7.5}]}]}),
        ("v3", {"output": "everything is fine"}),
        ("v3", b"[1, 2, 3]"),
        ("v3", b'{"output": [{"classes": [{"class": "ai_generated", "value": NaN}]}]}'),
        ("v2", v3_answer(0.99)),
        ("v2", {"status": [{"status": {"code": "1", "message": "FAILURE"}, "response": {}}]}),
        ("v3", b"{" * 100_000),
        ("v3", b'{"output": "' + b"x" * 1_100_000 + b'"}'),
    ],
)
def test_a_hostile_or_malformed_answer_is_an_error_not_a_verdict(stand_in, version, answer):
    stand_in.reply(200, answer)
    finding = check(stand_in, version)
    assert finding.outcome == "error" and finding.detail["error"].startswith("invalid answer"), finding.detail
    assert len(stand_in.requests) == 1  # not retried: asking again would get the same answer


def test_a_refused_key_is_an_error_at_once(stand_in):
    stand_in.reply(401, {"message": "Unauthorized"})
    finding = check(stand_in, "v2")
    assert finding.outcome == "error" and finding.detail["error"] == "HTTP 401" and len(stand_in.requests) == 1


def test_nothing_listening_is_an_error(stand_in):
    url = stand_in.url
    stand_in.server.shutdown()
    stand_in.server.server_close()
    finding = hive.hive_check(IMAGE, "image/png", api_key=KEY, base_url=url, timeout=0.5, retries=1, backoff=0.01)
    assert finding.outcome == "error" and finding.detail["attempts"] == 2


def test_off_without_a_key_and_settings_are_read_when_arguments_are_left_out(stand_in, settings):
    settings.HIVE_API_KEY = ""
    assert hive.hive_check(IMAGE, "image/jpeg") is None
    settings.HIVE_API_KEY, settings.HIVE_API_VERSION, settings.HIVE_API_URL = KEY, "v2", stand_in.url
    settings.HIVE_TIMEOUT_SECONDS, settings.HIVE_RETRIES = 2, 0
    stand_in.reply(200, v2_answer(0.5))
    finding = hive.hive_check(IMAGE, "image/jpeg")
    assert finding.outcome == "clear" and finding.detail["api"] == "v2" and finding.detail["threshold"] == 0.9
    settings.HIVE_API_VERSION = "v9"
    assert hive.hive_check(IMAGE, "image/jpeg").outcome == "error"
    settings.HIVE_API_VERSION, settings.HIVE_API_URL = "v3", "file:///etc"
    assert "http(s)" in hive.hive_check(IMAGE, "image/jpeg").detail["error"]


def test_an_endpoint_inside_the_network_is_refused_without_a_request(stand_in, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    stand_in.reply(200, v3_answer(0.99))
    finding = check(stand_in, "v3")
    assert finding.outcome == "error" and finding.detail["error"].startswith("refused")
    assert stand_in.requests == []
