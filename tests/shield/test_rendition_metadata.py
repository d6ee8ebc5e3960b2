"""Every public rendition carries the do-not-train and rights XMP, read back by exiftool (an
independent reader): still WebP and AVIF sizes, covers, and animated WebP."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from atelier.media.storages import open_rendition, public_storage, withheld_storage
from atelier.media.xmp import DATA_MINING_PROHIBITED
from atelier.posts import services
from atelier.posts.models import Licence
from tests.media.sample_files import animated_gif
from tests.posts.support import add_file, add_image, publish, save_details

pytestmark = pytest.mark.django_db

EXIFTOOL = shutil.which("exiftool")
if not EXIFTOOL and os.environ.get("CI") == "true":
    raise RuntimeError("exiftool is missing: bin/test installs Debian's libimage-exiftool-perl")
needs_exiftool = pytest.mark.skipif(not EXIFTOOL, reason="needs exiftool (apt-get install libimage-exiftool-perl)")


def _read_all(names: list[str]) -> dict[str, dict]:
    """exiftool's XMP of every named public file, in one run."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, name in enumerate(names):
            path = Path(folder, f"{index}{Path(name).suffix}")
            with open_rendition(name) as stored:
                path.write_bytes(stored.read())
            paths.append(str(path))
        output = subprocess.run(  # noqa: S603 - our own temporary files
            [EXIFTOOL, "-j", "-G1", "-XMP:all", *paths], check=True, capture_output=True, text=True
        ).stdout
    by_path = {Path(entry["SourceFile"]).name: entry for entry in json.loads(output)}
    return {name: by_path[f"{index}{Path(name).suffix}"] for index, name in enumerate(names)}


def _public_names(prefix: str) -> list[str]:
    """The renditions under `prefix`, public or still withheld (a draft's are: atelier.posts.files)."""
    names = []
    for storage in (public_storage(), withheld_storage()):
        if storage.exists(prefix):
            names += [f"{prefix}/{name}" for name in storage.listdir(prefix)[1] if name.endswith((".webp", ".avif"))]
    return names


@pytest.fixture
def artist(make_user):
    user = make_user("ines")
    user.profile.display_name = "Inès Ortega"
    user.profile.save()
    return user


@needs_exiftool
def test_stills_and_covers_say_who_made_them_and_not_for_ai(artist, isolated_media, django_capture_on_commit_callbacks):
    draft = services.post_create_draft(author=artist)
    save_details(draft, licence=Licence.CC_BY_NC)
    add_image(draft, capture=django_capture_on_commit_callbacks, size=(1600, 1000))
    publish(draft, capture=django_capture_on_commit_callbacks, licence=Licence.CC_BY_NC)
    names = _public_names(f"posts/{draft.pk}")
    assert any(name.endswith(".avif") for name in names) and any(name.endswith(".webp") for name in names)
    for name, tags in _read_all(names).items():
        assert tags["XMP-plus:DataMining"] == DATA_MINING_PROHIBITED, name
        assert tags["XMP-dc:Creator"] == "Inès Ortega", name
        assert tags["XMP-dc:Rights"].startswith("© ") and "Inès Ortega" in tags["XMP-dc:Rights"], name
        assert tags["XMP-iptcCore:CreatorWorkURL"].endswith("/@ines"), name
        assert tags["XMP-cc:License"] == "https://creativecommons.org/licenses/by-nc/4.0/", name
        assert "Not for AI training" in tags["XMP-xmpRights:UsageTerms"], name


@needs_exiftool
def test_all_rights_reserved_is_the_default(artist, isolated_media, django_capture_on_commit_callbacks):
    draft = services.post_create_draft(author=artist)
    add_image(draft, capture=django_capture_on_commit_callbacks)
    names = _public_names(f"posts/{draft.pk}")
    tags = next(iter(_read_all(names[:1]).values()))
    assert "All rights reserved" in tags["XMP-dc:Rights"]
    assert "XMP-cc:License" not in tags
    assert tags["XMP-xmpRights:WebStatement"].endswith("/@ines")


@needs_exiftool
def test_animated_webp_carries_it_too(artist, isolated_media, django_capture_on_commit_callbacks):
    draft = services.post_create_draft(author=artist)
    item = add_file(draft, animated_gif(), capture=django_capture_on_commit_callbacks)
    animated = item.renditions["animated"]["webp"]
    tags = _read_all([animated])[animated]
    assert tags["XMP-plus:DataMining"] == DATA_MINING_PROHIBITED
    assert tags["XMP-dc:Creator"] == "Inès Ortega"


def test_script_in_a_name_cannot_break_the_packet():
    from xml.etree import ElementTree

    from atelier.media.xmp import rights_xmp

    packet = rights_xmp(
        creator='</rdf:li><evil x="1">&',
        profile_url='https://a.example/@x"><b>',
        year=2026,
        licence_name="All rights reserved",
        licence_url="",
    ).decode()
    body = packet[packet.index("<x:xmpmeta") : packet.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    root = ElementTree.fromstring(body)
    creator = root.find(".//{http://purl.org/dc/elements/1.1/}creator//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}li")
    assert creator.text == '</rdf:li><evil x="1">&'


def test_the_licence_is_chosen_in_the_composer_and_shown_on_the_post(
    artist, client, isolated_media, django_capture_on_commit_callbacks
):
    from django.test import Client

    draft = services.post_create_draft(author=artist)
    add_image(draft, capture=django_capture_on_commit_callbacks)
    author = Client()
    author.force_login(artist)
    body = {"title": "Harbour", "licence": Licence.CC_BY_SA, "action": "publish"}
    with django_capture_on_commit_callbacks(execute=True):
        response = author.post(f"/posts/{draft.pk}/edit", body)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.licence == Licence.CC_BY_SA
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'href="https://creativecommons.org/licenses/by-sa/4.0/" rel="license noopener"' in page
    assert "Not for AI training." in page
    bad = author.post(f"/posts/{draft.pk}/edit", {"title": "Harbour", "licence": "steal-freely"})
    assert bad.status_code == 400
    draft.refresh_from_db()
    assert draft.licence == Licence.CC_BY_SA


def _kind(name: str) -> str:
    return "avif" if name.endswith(".avif") else "webp"


def test_every_rendition_carries_signed_content_credentials(artist, isolated_media, django_capture_on_commit_callbacks):
    from atelier.media.content_credentials import read

    draft = services.post_create_draft(author=artist)
    add_image(draft, capture=django_capture_on_commit_callbacks, size=(1200, 800))
    publish(draft, capture=django_capture_on_commit_callbacks)
    gif_post = services.post_create_draft(author=artist)
    item = add_file(gif_post, animated_gif(), capture=django_capture_on_commit_callbacks)
    names = [*_public_names(f"posts/{draft.pk}"), item.renditions["animated"]["webp"]]
    assert len(names) >= 10
    for name in names:
        with open_rendition(name) as stored:
            data = stored.read()
        manifest, state = read(data, _kind(name))
        assert state == "Valid", name  # well-formed and intact (the self-made CA is simply not on a trust list)
        by_label = {assertion["label"]: assertion["data"] for assertion in manifest["assertions"]}
        for label, prefix in (("cawg.training-mining", "cawg"), ("c2pa.training-mining", "c2pa")):
            entries = by_label[label]["entries"]
            for use in ("ai_training", "ai_generative_training", "ai_inference", "data_mining"):
                assert entries[f"{prefix}.{use}"]["use"] == "notAllowed", (name, label, use)
        author = by_label["stds.schema-org.CreativeWork"]["author"][0]
        assert (author["name"], author["url"].endswith("/@ines")) == ("Inès Ortega", True)


@needs_exiftool
def test_signing_keeps_the_xmp_statement(artist, isolated_media, django_capture_on_commit_callbacks):
    draft = services.post_create_draft(author=artist)
    add_image(draft, capture=django_capture_on_commit_callbacks)
    names = _public_names(f"posts/{draft.pk}")
    for name, tags in _read_all(names).items():
        assert tags["XMP-plus:DataMining"] == DATA_MINING_PROHIBITED, name


def test_a_tampered_rendition_no_longer_validates(artist, isolated_media, django_capture_on_commit_callbacks):
    from atelier.media.content_credentials import read

    draft = services.post_create_draft(author=artist)
    add_image(draft, capture=django_capture_on_commit_callbacks)
    name = next(name for name in _public_names(f"posts/{draft.pk}") if name.endswith(".webp"))
    with open_rendition(name) as stored:
        data = bytearray(stored.read())
    data[-40] ^= 0xFF  # one byte of the image data
    try:
        _, state = read(bytes(data), "webp")
    except Exception:
        return
    assert state != "Valid"


def test_a_failed_signature_keeps_the_rendition(monkeypatch, caplog):
    from atelier.media import content_credentials

    monkeypatch.setattr(content_credentials, "_get_signer", lambda: (_ for _ in ()).throw(RuntimeError("no key")))
    assert (
        content_credentials.sign(b"RIFF\x00\x00\x00\x00WEBP", "webp", {"assertions": []}) == b"RIFF\x00\x00\x00\x00WEBP"
    )
    assert "C2PA signing failed" in caplog.text


def test_videos_and_animation_loops_carry_signed_content_credentials(
    artist, isolated_media, django_capture_on_commit_callbacks, tmp_path
):
    from atelier.media.content_credentials import read
    from tests.media.sample_files import make_clip

    gif_post = services.post_create_draft(author=artist)
    loop = add_file(gif_post, animated_gif(), capture=django_capture_on_commit_callbacks).renditions["animated"]["mp4"]
    video_post = services.post_create_draft(author=artist)
    clip = make_clip(tmp_path / "clip.mov", size=(320, 240), seconds=1.0)
    video = add_file(video_post, clip.read_bytes(), capture=django_capture_on_commit_callbacks).renditions["mp4"]
    for name in (loop, video):
        with open_rendition(name) as stored:
            manifest, state = read(stored.read(), "mp4")
        assert state == "Valid", name
        labels = {assertion["label"] for assertion in manifest["assertions"]}
        assert {"cawg.training-mining", "c2pa.training-mining"} <= labels, name


@needs_exiftool
def test_a_new_licence_redraws_the_thumbnail_and_cover(artist, isolated_media, django_capture_on_commit_callbacks):
    draft = services.post_create_draft(author=artist)
    add_image(draft, capture=django_capture_on_commit_callbacks)
    post = publish(draft, capture=django_capture_on_commit_callbacks)
    old_cover = post.covers["cover"]["sizes"][0]["name"]
    with django_capture_on_commit_callbacks(execute=True):
        save_details(post, title="Harbour at dawn", licence=Licence.CC0)
    post.refresh_from_db()
    new_cover = post.covers["cover"]["sizes"][0]["name"]
    assert new_cover != old_cover
    tags = _read_all([new_cover])[new_cover]
    assert tags["XMP-cc:License"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert tags["XMP-plus:DataMining"] == DATA_MINING_PROHIBITED  # CC0 or not: not for AI training
