"""Provenance signals read from the original upload: each positive and negative, hostile files, and
the hold that keeps labelled AI work away from everyone but its author."""

import io
import json
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image, PngImagePlugin

from atelier.posts import services, visibility
from atelier.posts.models import Post
from atelier.protection.detection import provenance
from atelier.protection.detection.models import ItemVerdict, SignalEvidence
from tests.posts.support import add_file, publish

pytestmark = pytest.mark.django_db


def png_with_text(**chunks) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (30, 120, 200)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg_with(*, software: str = "", xmp: bytes | None = None) -> bytes:
    exif = Image.Exif()
    if software:
        exif[0x0131] = software
    buffer = io.BytesIO()
    options = {"exif": exif}
    if xmp:
        options["xmp"] = xmp
    Image.new("RGB", (96, 64), (200, 120, 30)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


AI_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
MJ_JOB = "a7421d2f-b262-44f9-977c-ac23e9c7d3e3"
A1111 = "a lighthouse at dusk, masterpiece\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"


def signed_ai_webp() -> bytes:
    """A WebP whose C2PA manifest (signed with the instance's test signer) declares AI generation."""
    from atelier.media import content_credentials

    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (10, 200, 90)).save(buffer, "WEBP")
    ai_source = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    manifest = {
        "claim_generator_info": [{"name": "SomeGenerator", "version": "1"}],
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": ai_source}]},
            }
        ],
    }
    return content_credentials.sign(buffer.getvalue(), "webp", manifest)


def _read(data: bytes, fmt: str) -> dict[str, provenance.Finding]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "upload")
        path.write_bytes(data)
        return {finding.signal: finding for finding in provenance.read_all(path, fmt)}


@pytest.mark.parametrize(
    ("data", "fmt", "signal", "generator"),
    [
        (png_with_text(parameters=A1111), "png", "png_text", "Automatic1111 / Stable Diffusion web UI"),
        (png_with_text(prompt=json.dumps({"3": {"class_type": "KSampler"}})), "png", "png_text", "ComfyUI"),
        (png_with_text(workflow=json.dumps({"nodes": []})), "png", "png_text", "ComfyUI"),
        (png_with_text(invokeai_metadata=json.dumps({"model": "sdxl"})), "png", "png_text", "InvokeAI"),
        (png_with_text(Dream='"a harbour" -s 50 -S 42'), "png", "png_text", "InvokeAI"),
        (png_with_text(Software="NovelAI", Comment=json.dumps({"prompt": "x"})), "png", "png_text", "NovelAI"),
        (png_with_text(Description=f"harbour --v 6 Job ID: {MJ_JOB}"), "png", "png_text", "Midjourney"),
        (jpeg_with(software="Adobe Firefly"), "jpeg", "exif", "Adobe Firefly"),
        (jpeg_with(xmp=AI_XMP), "jpeg", "xmp", None),
    ],
)
def test_each_provenance_signal_finds_its_marker(data, fmt, signal, generator):
    findings = _read(data, fmt)
    assert findings[signal].hit, findings[signal]
    if generator:
        assert findings[signal].detail["generator"] == generator


def test_c2pa_declaring_ai_generation_is_found_with_signer_and_state():
    finding = _read(signed_ai_webp(), "webp")["c2pa"]
    assert finding.hit
    assert finding.detail["validation_state"] in {"Valid", "Trusted"} and finding.detail["signer"]
    assert finding.detail["digital_source_type"].endswith("trainedAlgorithmicMedia")


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (png_with_text(Title="Harbour", Author="Inès"), "png"),
        (jpeg_with(software="Krita 5.2"), "jpeg"),
        (jpeg_with(software="Adobe Photoshop 25.0"), "jpeg"),
    ],
)
def test_human_work_with_ordinary_metadata_is_clear(data, fmt):
    assert not any(finding.hit for finding in _read(data, fmt).values())


def test_hostile_files_are_errors_or_clear_never_crashes():
    broken_png = png_with_text(parameters=A1111)[:60] + b"\x00" * 40  # cut inside the text chunk
    fake_manifest = jpeg_with() [:2] + b"\xff\xeb\x00\x10JP\x00\x01garbage!" + jpeg_with()[2:]  # fmt: skip
    huge_text = png_with_text(Description="x" * 2_000_000)
    for data, fmt in ((broken_png, "png"), (fake_manifest, "jpeg"), (huge_text, "png"), (b"\x00" * 10, "png")):
        findings = _read(data, fmt)
        assert set(findings) == {"png_text", "exif", "xmp", "c2pa"}
        assert all(finding.outcome in {"clear", "error"} for finding in findings.values())


def test_an_a1111_upload_is_held_for_everyone_but_its_author(make_user, client, django_capture_on_commit_callbacks):
    artist = make_user("prompter")
    draft = services.post_create_draft(author=artist)
    item = add_file(draft, png_with_text(parameters=A1111), capture=django_capture_on_commit_callbacks)
    post = publish(draft, capture=django_capture_on_commit_callbacks, title="Lighthouse")
    assert ItemVerdict.objects.get(item=item).verdict == "ai_labelled"
    assert SignalEvidence.objects.filter(item=item, signal="png_text", outcome="hit").exists()
    post.refresh_from_db()
    assert post.is_held and "Automatic1111" in post.held_reason
    assert not Post.objects.public().filter(pk=post.pk).exists()
    assert client.get(post.get_absolute_url()).status_code == 404
    assert "Lighthouse" not in client.get("/feed/discover/").content.decode()
    assert "Lighthouse" not in client.get(f"/@{artist.handle}").content.decode()
    assert client.get(f"/api/v1/posts/{post.pk}").status_code == 404
    author = Client()
    author.force_login(artist)
    page = author.get(post.get_absolute_url()).content.decode()
    assert "generation settings of Automatic1111" in page and "only you can see it" in page


def test_a_human_upload_is_not_held(make_user, django_capture_on_commit_callbacks):
    artist = make_user("painter")
    draft = services.post_create_draft(author=artist)
    item = add_file(draft, png_with_text(Title="Harbour"), capture=django_capture_on_commit_callbacks)
    post = publish(draft, capture=django_capture_on_commit_callbacks)
    assert ItemVerdict.objects.get(item=item).verdict == "human"
    signals = set(SignalEvidence.objects.filter(item=item).values_list("signal", flat=True))
    assert signals == {"png_text", "exif", "xmp", "c2pa", "stealth", "watermark", "classifier"}
    assert Post.objects.public().filter(pk=post.pk).exists()


def test_a_disclosed_ai_work_stays_out_of_feeds_search_and_portfolio(make_user, client, make_published_post):
    """The author's own "made with AI tools" disclosure: labelled, visible to them, kept from others."""
    artist = make_user("honest")
    disclosed = make_published_post(artist, title="Lighthouse experiment")
    Post.objects.filter(pk=disclosed.pk).update(made_with_ai=True)  # ticked in the composer (posts.services)
    visibility.disclosure_changed(post_id=disclosed.pk, actor=artist)
    make_published_post(artist, title="Lighthouse by hand")
    assert not Post.objects.public().filter(pk=disclosed.pk).exists()
    assert client.get(disclosed.get_absolute_url()).status_code == 404
    for path in ("/feed/discover/", f"/@{artist.handle}", "/search/?q=lighthouse"):
        body = client.get(path).content.decode()
        assert "Lighthouse by hand" in body and "Lighthouse experiment" not in body, path
    author = Client()
    author.force_login(artist)
    page = author.get(disclosed.get_absolute_url()).content.decode()
    assert "You disclosed that generative AI tools were used" in page
