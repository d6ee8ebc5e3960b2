"""The server-side request forgery an uploaded file could drive: a C2PA manifest that names a remote
manifest URL (a loopback server here, standing for anything inside the network). The detection
worker must not connect, and the evidence moderators read must not carry a status or connection
error (that would make the worker a port scanner with a reply channel)."""

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import c2pa
import pytest
from PIL import Image

from atelier.media import content_credentials
from atelier.posts import services
from atelier.protection.detection.models import SignalEvidence
from tests.posts.support import add_file

pytestmark = pytest.mark.django_db

DIGITAL_CREATION = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"


class Listener:
    """A real HTTP server on loopback that records every request it gets."""

    def __init__(self):
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                listener.requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def jpeg_with_remote_manifest(url: str) -> bytes:
    """A JPEG whose C2PA manifest is not embedded: the file only names the URL it is stored at."""
    picture = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 90, 160)).save(picture, "JPEG")
    definition = {
        "claim_generator_info": [{"name": "attacker", "version": "1"}],
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": DIGITAL_CREATION}]},
            }
        ],
    }
    builder = c2pa.Builder(json.dumps(definition), context=content_credentials._get_context())
    builder.set_no_embed()
    builder.set_remote_url(url)
    signed = io.BytesIO()
    builder.sign(content_credentials._get_signer(), "image/jpeg", io.BytesIO(picture.getvalue()), signed)
    return signed.getvalue()


def test_the_file_really_names_the_remote_manifest(listener):
    url = f"http://127.0.0.1:{listener.port}/internal/admin"
    assert url.encode() in jpeg_with_remote_manifest(url)


def test_a_remote_manifest_url_in_an_upload_is_never_fetched_and_leaks_nothing(
    listener, make_user, django_capture_on_commit_callbacks
):
    url = f"http://127.0.0.1:{listener.port}/internal/admin"
    draft = services.post_create_draft(author=make_user("prober"))
    item = add_file(draft, jpeg_with_remote_manifest(url), capture=django_capture_on_commit_callbacks)

    assert listener.requests == []
    evidence = SignalEvidence.objects.get(item=item, signal="c2pa")
    text = json.dumps(evidence.detail)
    assert evidence.outcome == "error" and "not fetched" in text
    for leak in (str(listener.port), "127.0.0.1", "404", "status", "connect", "refused", "timed out"):
        assert leak not in text, text
