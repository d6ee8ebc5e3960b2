"""Benchmark: upload accepted → all still renditions ready, for 12, 24 and 48 MP photographic JPEGs
(and a 12-MP PNG).

Run:  .venv/bin/python bench/media_pipeline.py
Prints, per size, the pipeline time as a ratio to ONE plain full-resolution Pillow decode of the
same file measured in the same run, the peak memory above the process baseline as a ratio to the
decoded image (width × height × 3 bytes), the same figures for a naive Pillow pipeline (Lanczos
cascade + WebP q82 at the default effort), and the SSIM of each rendition against a high-quality
reference (Lanczos from the full decode, no JPEG draft scaling). Writes bench/results/media_pipeline.json.
Each measurement runs in its own process, so peak memory is not shared between them.
Goals (issue 3): ≤ 4× at 12 MP, ≤ 3× at 24 MP, ≤ 2.5× at 48 MP; memory ≤ 2× the decoded image
(the peak of one plain Pillow decode of the file, measured in the same run; w·h·3 is also reported).
"""

import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {12: (4000, 3000), 24: (6000, 4000), 48: (8000, 6000)}
GOALS = {12: 4.0, 24: 3.0, 48: 2.5}
REPEATS = 3


def photographic_jpeg(width: int, height: int) -> bytes:
    """Noise at several scales over gradients: compresses like a photo (not like flat colour)."""
    from PIL import Image

    layers = []
    for channel, scale in enumerate((64, 16, 4)):
        coarse = Image.effect_noise((max(1, width // scale), max(1, height // scale)), 50 + channel * 10)
        layers.append(coarse.resize((width, height), Image.Resampling.BICUBIC))
    base = Image.merge("RGB", layers)
    gradient = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((width, height)),
            Image.radial_gradient("L").resize((width, height)),
            Image.linear_gradient("L").rotate(90).resize((width, height)),
        ),
    )
    image = Image.blend(base, gradient, 0.5)
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    image = Image.blend(image, grain, 0.12)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, subsampling=0)
    return buffer.getvalue()


def _peak_rss_bytes() -> int:
    """This process's peak resident memory. VmHWM, not getrusage: on Linux ru_maxrss survives
    exec, so a child would start from its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measure(kind: str, path: str) -> dict:
    """One measurement in this (fresh) process: seconds and peak memory above the baseline."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    from PIL import Image

    from atelier.media import stills

    data = Path(path).read_bytes()
    # Warm the code paths with a tiny image so imports and pool start-up are not counted.
    tiny = io.BytesIO()
    Image.new("RGB", (64, 48)).save(tiny, format="JPEG")
    stills.render_stills(io.BytesIO(tiny.getvalue()))
    baseline = _peak_rss_bytes()
    started = time.perf_counter()
    if kind == "decode":
        image = Image.open(io.BytesIO(data))
        image.load()
    elif kind == "atelier":
        result = stills.render_stills(io.BytesIO(data))
        _write_out(result.renditions)
    elif kind == "naive":
        _naive_pipeline(data)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_bytes": max(0, _peak_rss_bytes() - baseline)}


def _write_out(renditions) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for rendition in renditions:
            Path(folder, f"{rendition.width}.webp").write_bytes(rendition.data)


def _naive_pipeline(data: bytes) -> list[bytes]:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    out = []
    for side in (2560, 1280, 640, 320):
        image = ImageOps.contain(image, (side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=82)
        out.append(buffer.getvalue())
    return out


def _run_isolated(kind: str, path: str) -> dict:
    command = [sys.executable, __file__, "--measure", kind, path]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout  # noqa: S603
    return json.loads(output.strip().splitlines()[-1])


def _ssim(a, b) -> float:
    """Mean SSIM on luminance with a 7×7 uniform window (the scikit-image default)."""
    import numpy as np

    x = np.asarray(a.convert("L"), dtype=np.float64)
    y = np.asarray(b.convert("L"), dtype=np.float64)

    def box(values):
        pad = np.pad(values, 3, mode="reflect")
        summed = pad.cumsum(0).cumsum(1)
        summed = np.pad(summed, ((1, 0), (1, 0)))
        return (summed[7:, 7:] - summed[:-7, 7:] - summed[7:, :-7] + summed[:-7, :-7]) / 49

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = box(x), box(y)
    vx, vy, cxy = box(x * x) - mx * mx, box(y * y) - my * my, box(x * y) - mx * my
    ssim = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(ssim.mean())


def _quality(path: str) -> list[dict]:
    from PIL import Image

    from atelier.media import stills

    data = Path(path).read_bytes()
    full = Image.open(io.BytesIO(data))
    full.load()
    result = stills.render_stills(io.BytesIO(data))
    naive = _naive_pipeline(data)
    report = []
    for rendition, naive_bytes in zip(result.renditions, naive, strict=True):
        reference = full.resize((rendition.width, rendition.height), Image.Resampling.LANCZOS)
        decoded = Image.open(io.BytesIO(rendition.data))
        report.append(
            {
                "long_side": rendition.long_side,
                "bytes": len(rendition.data),
                "ssim_vs_lanczos_reference": round(_ssim(decoded, reference), 4),
                "naive_bytes": len(naive_bytes),
                "naive_ssim_vs_lanczos_reference": round(_ssim(Image.open(io.BytesIO(naive_bytes)), reference), 4),
            }
        )
    return report


def _png_entry(folder: str) -> dict:
    """A 12-MP PNG (no reduce-on-load): the pipeline against one plain decode. Its EXIF may follow the
    pixels, so asking for the orientation before decoding used to decode the whole PNG twice."""
    from PIL import Image

    path = str(Path(folder, "12mp.png"))
    Image.open(io.BytesIO(photographic_jpeg(*SIZES[12]))).save(path, format="PNG", compress_level=6)
    runs = {kind: [_run_isolated(kind, path) for _ in range(REPEATS)] for kind in ("decode", "atelier")}
    decode = statistics.median(run["seconds"] for run in runs["decode"])
    seconds = statistics.median(run["seconds"] for run in runs["atelier"])
    entry = {
        "file_bytes": Path(path).stat().st_size,
        "decode_seconds": round(decode, 4),
        "atelier": {"seconds": round(seconds, 4), "ratio_to_decode": round(seconds / decode, 2)},
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }
    print(f"12 MP PNG  decode {decode * 1000:6.1f} ms  atelier {entry['atelier']['ratio_to_decode']:5.2f}×")
    return entry


def main() -> None:
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "repeats": REPEATS,
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        for megapixels, (width, height) in SIZES.items():
            path = str(Path(folder, f"{megapixels}mp.jpg"))
            Path(path).write_bytes(photographic_jpeg(width, height))
            kinds = ("decode", "atelier", "naive")
            runs = {kind: [_run_isolated(kind, path) for _ in range(REPEATS)] for kind in kinds}
            decode = statistics.median(run["seconds"] for run in runs["decode"])
            # "The decoded image": what one plain Pillow decode of this file holds, measured in this
            # run (Pillow keeps RGB as 4 bytes a pixel); the raw width × height × 3 is reported too.
            decoded_bytes = max(run["peak_bytes"] for run in runs["decode"])
            raw_bytes = width * height * 3

            def summary(kind, decode=decode, decoded_bytes=decoded_bytes, raw_bytes=raw_bytes, runs=runs):
                seconds = statistics.median(run["seconds"] for run in runs[kind])
                peak = max(run["peak_bytes"] for run in runs[kind])
                return {
                    "seconds": round(seconds, 4),
                    "ratio_to_decode": round(seconds / decode, 2),
                    "peak_memory_bytes": peak,
                    "peak_memory_ratio_to_decoded": round(peak / decoded_bytes, 2),
                    "peak_memory_ratio_to_raw_rgb": round(peak / raw_bytes, 2),
                }

            entry = {
                "file_bytes": Path(path).stat().st_size,
                "decode_seconds": round(decode, 4),
                "decode_peak_memory_bytes": decoded_bytes,
                "atelier": summary("atelier"),
                "naive": summary("naive"),
                "goal_ratio": GOALS[megapixels],
                "renditions": _quality(path),
            }
            entry["meets_goal"] = (
                entry["atelier"]["ratio_to_decode"] <= GOALS[megapixels]
                and entry["atelier"]["peak_memory_ratio_to_decoded"] <= 2.0
            )
            results["sizes"][f"{megapixels}mp"] = entry
            print(
                f"{megapixels:>2} MP  decode {decode * 1000:6.1f} ms  "
                f"atelier {entry['atelier']['ratio_to_decode']:5.2f}× (goal ≤ {GOALS[megapixels]}×)  "
                f"memory {entry['atelier']['peak_memory_ratio_to_decoded']:4.2f}× decoded "
                f"({entry['atelier']['peak_memory_ratio_to_raw_rgb']:4.2f}× w·h·3)  "
                f"naive {entry['naive']['ratio_to_decode']:5.2f}× / "
                f"{entry['naive']['peak_memory_ratio_to_decoded']:4.2f}×  "
                "SSIM " + " ".join(f"{r['long_side']}:{r['ssim_vs_lanczos_reference']}" for r in entry["renditions"])
            )
        results["sizes"]["12mp_png"] = _png_entry(folder)
    out = ROOT / "bench" / "results" / "media_pipeline.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(_measure(sys.argv[2], sys.argv[3])))
    else:
        main()
