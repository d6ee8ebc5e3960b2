"""Benchmark: the added cost of the do-not-train signals inside each public rendition.

Run:  .venv/bin/python bench/signals.py
For each rendition format the pipeline writes (still WebP at 2560/1280/640 px, AVIF cover sizes,
an animated WebP), prints the encode time without and with the XMP rights packet, and the added
time as a ratio to that rendition's own encode time (goal, issue 6: ≤ 0.2), measured in the same
run with the median of REPEATS. Writes bench/results/signals.json.

"With XMP + C2PA" adds signing the instance's C2PA manifest into the encoded file (one signer per
process, as in the worker); the size the manifest adds is printed too.
"""

import io
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPEATS = 7
GOAL_RATIO = 0.2


def artwork(width: int, height: int):
    """Noise at several scales over gradients: compresses like a painting or photo, not flat colour."""
    from PIL import Image

    layers = []
    for channel, scale in enumerate((48, 12, 3)):
        coarse = Image.effect_noise((max(1, width // scale), max(1, height // scale)), 60 + channel * 10)
        layers.append(coarse.resize((width, height), Image.Resampling.BICUBIC))
    return Image.merge("RGB", layers)


def timed(function) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    import django

    django.setup()
    from PIL import Image

    from atelier.media import content_credentials, stills
    from atelier.media.xmp import rights_xmp

    xmp = rights_xmp(
        creator="Inès Ortega",
        profile_url="https://atelier.example/@ines_ortega",
        year=2026,
        licence_name="CC BY-NC 4.0",
        licence_url="https://creativecommons.org/licenses/by-nc/4.0/",
    )
    manifest = {
        "claim_generator_info": [{"name": "Atelier", "version": "1"}],
        "title": "Harbour",
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": content_credentials._SOURCE_TYPE.format("digitalCreation"),
                        }
                    ]
                },
            },
            {
                "label": "cawg.training-mining",
                "data": {
                    "entries": {f"cawg.{use}": {"use": "notAllowed"} for use in content_credentials.TRAINING_USES}
                },
            },
            {
                "label": "c2pa.training-mining",
                "data": {
                    "entries": {f"c2pa.{use}": {"use": "notAllowed"} for use in content_credentials.TRAINING_USES}
                },
            },
        ],
    }
    source = artwork(2560, 1600)
    cases = {}

    def webp(long_side: int):
        image = source.resize((long_side, round(long_side * 1600 / 2560)), Image.Resampling.LANCZOS)
        return lambda packet: stills.encode_webp_fast(image, stills.WEBP_QUALITY, xmp=packet).data

    for long_side in (2560, 1280, 640, 320, 120):
        cases[f"webp-{long_side}"] = webp(long_side)

    cover = source.resize((960, 600), Image.Resampling.LANCZOS)

    def avif(packet):
        buffer = io.BytesIO()
        metadata = {"xmp": packet} if packet else {}
        cover.save(buffer, format="AVIF", quality=60, speed=stills.AVIF_SPEED, **metadata)
        return buffer.getvalue()

    cases["avif-960"] = avif
    frames = [artwork(480, 300) for _ in range(12)]

    def animated(packet):
        buffer = io.BytesIO()
        metadata = {"xmp": packet} if packet else {}
        frames[0].save(
            buffer,
            format="WEBP",
            save_all=True,
            append_images=frames[1:],
            duration=80,
            quality=80,
            method=4,
            **metadata,
        )
        return buffer.getvalue()

    cases["animated-webp-480x300x12"] = animated
    results = {}
    kinds = {"avif-960": "avif"}
    header = f"{'rendition':<26}{'plain ms':>10}{'+XMP ms':>9}{'+XMP+C2PA ms':>14}{'added':>8}{'bytes +':>9}"
    print(header + f"  goal ≤ {GOAL_RATIO}")
    for name, encode in cases.items():
        kind = kinds.get(name, "webp")
        plain_bytes = encode(None)
        content_credentials.sign(plain_bytes, kind, manifest)  # warm up (loads the key once)
        plain = timed(lambda encode=encode: encode(None))
        with_xmp = timed(lambda encode=encode: encode(xmp))
        with_both = timed(lambda encode=encode, kind=kind: content_credentials.sign(encode(xmp), kind, manifest))
        signed_bytes = content_credentials.sign(encode(xmp), kind, manifest)
        ratio = max(0.0, with_both - plain) / plain
        results[name] = {
            "encode_ms": round(plain * 1000, 2),
            "with_xmp_ms": round(with_xmp * 1000, 2),
            "with_xmp_and_c2pa_ms": round(with_both * 1000, 2),
            "added_ratio": round(ratio, 4),
            "bytes_plain": len(plain_bytes),
            "bytes_added": len(signed_bytes) - len(plain_bytes),
            "meets_goal": ratio <= GOAL_RATIO,
        }
        verdict = "ok" if ratio <= GOAL_RATIO else "MISS"
        print(
            f"{name:<26}{plain * 1000:>10.1f}{with_xmp * 1000:>9.1f}{with_both * 1000:>14.1f}{ratio:>8.3f}"
            f"{len(signed_bytes) - len(plain_bytes):>9}  {verdict}"
        )
    report = {
        "goal": {"added_ratio_max": GOAL_RATIO},
        "method": f"median of {REPEATS} encodes each: plain, with the XMP packet ({len(xmp)} bytes), and with "
        "XMP plus the signed C2PA manifest (ES256, self-made CA chain), same run",
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()},
        "renditions": results,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / "signals.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
