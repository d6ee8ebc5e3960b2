"""The labelled fixture set for the detection harness, and the markers the tests put in files.

Human work: the photographs and scans that ship inside scikit-image (installed `--no-deps`; its
files are read from the package folder, the package itself is never imported). AI work: those
images carrying what generators write (every generator of bench/generator_files.py, written the way
that tool writes, a signed C2PA manifest declaring trainedAlgorithmicMedia, the SD 1.x / 2.x / SDXL
invisible watermarks), each also after a JPEG re-save (q90) and a resize to 75 %, to show which
signals survive.

Run:  .venv/bin/python bench/detection_fixtures.py FOLDER   (writes FOLDER/human and FOLDER/ai)
"""

import importlib.util
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from bench import generator_files

ROOT = Path(__file__).resolve().parents[1]

# Photographs, scans and microscopy; left out: the 200 px chessboards, the 102 px crop, the
# two-frame TIFFs, the RGBA logo and silhouette (drawn, not photographed).
HUMAN_SAMPLES = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png", "coffee.png",
    "coins.png", "color.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
    "motorcycle_left.png", "motorcycle_right.png", "page.png", "phantom.png", "retina.jpg", "rocket.jpg", "text.png",
)  # fmt: skip
# Each generator marks its own output at its native size (generative-models' detect.py: "most likely
# 1024x1024 or 512x512"), so the watermarked fixtures are square crops at those sizes.
NATIVE_SIZE = {"sd1": 512, "sd2": 768, "sdxl": 1024}
A1111 = "a lighthouse at dusk, masterpiece\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"
SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/{}"
AI_SOURCE = SOURCE_TYPE.format("trainedAlgorithmicMedia")


def samples_folder() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("scikit-image is not installed (pip install --no-deps scikit-image)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sample(name: str) -> Image.Image:
    with Image.open(samples_folder() / name) as image:
        image.load()
        return image.copy()


def _max_dct():
    """`imwatermark.maxDct` alone: the package's __init__ imports torch for RivaGAN, which this does
    not need (the same way Stability's detect.py loads it)."""
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("invisible-watermark is not installed (pip install --no-deps invisible-watermark)")
    path = Path(next(iter(spec.submodule_search_locations))) / "maxDct.py"
    module_spec = importlib.util.spec_from_file_location("imwatermark_maxdct", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def watermark(image: Image.Image, mark: str, *, order: str = "bgr") -> Image.Image:
    """`image` with a generator's dwtDct mark, embedded the way its reference code does: on BGR (CompVis,
    Stability), or on RGB handed over as if it were BGR (`order="rgb"`, diffusers' SDXL watermarker)."""
    from atelier.protection.detection.watermark import MARKS

    bits = next(candidate.bits for candidate in MARKS if candidate.key == mark)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    pixels = np.ascontiguousarray(rgb[:, :, ::-1] if order == "bgr" else rgb)
    if pixels.shape[0] * pixels.shape[1] < 256 * 256:
        raise ValueError("the encoder needs at least 256×256 px")
    marked = _max_dct().EmbedMaxDct(list(bits), wmLen=len(bits)).encode(pixels)
    return Image.fromarray(np.ascontiguousarray(marked[:, :, ::-1] if order == "bgr" else marked))


def decode_with_package(image: Image.Image, length: int, *, order: str = "bgr") -> np.ndarray:
    """The package's own decoder (the loop our vectorised one replaces), for the agreement test."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    pixels = np.ascontiguousarray(rgb[:, :, ::-1] if order == "bgr" else rgb)
    return np.asarray(_max_dct().EmbedMaxDct(watermarks=[], wmLen=length).decode(pixels), dtype=bool)


def native_square(image: Image.Image, size: int) -> Image.Image:
    """Centre square of `image` at `size` px: what a generator at that resolution would hand out."""
    image = image.convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)


def png_bytes(image: Image.Image, **chunks: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


GENERATOR_CHUNKS = {
    "a1111": {"parameters": A1111},
    "comfyui": {
        "prompt": json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}}}),
        "workflow": json.dumps({"nodes": [{"id": 3, "type": "KSampler"}], "links": []}),
    },
    "invokeai": {"invokeai_metadata": json.dumps({"model": {"name": "sdxl"}, "positive_prompt": "a harbour"})},
    "novelai": {
        "Software": "NovelAI",
        "Source": "Stable Diffusion XL C1E1DE52",
        "Comment": json.dumps({"prompt": "a harbour", "steps": 28, "sampler": "k_euler_ancestral"}),
    },
}


def xmp_packet(source_type: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{SOURCE_TYPE.format(source_type)}"/></rdf:RDF></x:xmpmeta>'
    ).encode()


def jpeg_bytes(image: Image.Image, *, software: str = "", source_type: str = "") -> bytes:
    """A JPEG with EXIF Software and an XMP DigitalSourceType, as editors and generators write them."""
    exif = Image.Exif()
    if software:
        exif[0x0131] = software
    buffer = io.BytesIO()
    options = {"xmp": xmp_packet(source_type)} if source_type else {}
    image.convert("RGB").save(buffer, "JPEG", quality=92, exif=exif, **options)
    return buffer.getvalue()


def c2pa_jpeg(image: Image.Image, source_type: str = "trainedAlgorithmicMedia") -> bytes:
    """A JPEG whose C2PA manifest, signed with the instance's (test) certificate, gives its digital
    source type. Needs Django set up (the signer's certificate lives in VAR_DIR)."""
    from atelier.media import content_credentials

    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=92)
    created = {"action": "c2pa.created", "digitalSourceType": SOURCE_TYPE.format(source_type)}
    manifest = {
        "claim_generator_info": [{"name": "SomeImageGenerator", "version": "3"}],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [created]}}],
    }
    signed = content_credentials.sign(buffer.getvalue(), "jpeg", manifest)
    if signed == buffer.getvalue():
        raise RuntimeError("C2PA signing failed (see the log)")
    return signed


def resaved_jpeg(data: bytes, *, full_chroma: bool = False) -> bytes:
    """A re-save as JPEG q90 through Pillow: pixels only, the way most apps and sites re-encode. Pillow's
    default halves the colour resolution (4:2:0), which is where the dwtDct marks live; `full_chroma`
    keeps it (4:4:4), as photo editors' high-quality exports do."""
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=90, subsampling=0 if full_chroma else -1)
    return buffer.getvalue()


def resized_png(data: bytes, factor: float = 0.75) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        buffer = io.BytesIO()
        image.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(buffer, "PNG")
    return buffer.getvalue()


def ai_originals() -> dict[str, bytes]:
    """name → file bytes of every untouched AI-marked fixture (the name's extension is its format)."""
    files: dict[str, bytes] = {}
    for kind, chunks in GENERATOR_CHUNKS.items():
        for name in ("astronaut.png", "coffee.png", "rocket.jpg"):
            files[f"{kind}-{Path(name).stem}.png"] = png_bytes(sample(name).convert("RGB"), **chunks)
    for name in ("chelsea.png", "motorcycle_left.png", "hubble_deep_field.jpg"):
        files[f"c2pa-{Path(name).stem}.jpg"] = c2pa_jpeg(sample(name))
    for name in ("astronaut.png", "rocket.jpg"):
        files[f"firefly-{Path(name).stem}.jpg"] = jpeg_bytes(sample(name), software="Adobe Firefly")
        files[f"xmp-{Path(name).stem}.jpg"] = jpeg_bytes(sample(name), source_type="trainedAlgorithmicMedia")
    for picture in ("astronaut.png", "rocket.jpg"):  # every generator, written the way it writes
        for name, data in generator_files.ai_files(sample(picture)).items():
            stem, extension = name.rsplit(".", 1)
            files[f"{stem.replace('-', '')}-{Path(picture).stem}.{extension}"] = data
    for mark, size in NATIVE_SIZE.items():
        orders = ("bgr", "rgb") if mark == "sdxl" else ("bgr",)
        # Photos the encoder marks fully (on saturated colours its uint8 round trip clips part of the
        # mark: tests/detection/test_watermark.py records such a case).
        for name in ("astronaut.png", "chelsea.png", "motorcycle_left.png", "camera.png"):
            for order in orders:
                marked = watermark(native_square(sample(name), size), mark, order=order)
                files[f"wm-{mark}-{order}-{Path(name).stem}.png"] = png_bytes(marked)
    return files


def human_files() -> dict[str, bytes]:
    """name → bytes: each sample as shipped, plus a JPEG re-save (human work gets re-saved too), a few
    with the metadata honest tools write (an editor's EXIF Software, an XMP and a signed C2PA manifest
    saying digitalCapture / digitalCreation), and files whose captions and software fields mention AI
    tools (bench/generator_files.py)."""
    files = {}
    for name in HUMAN_SAMPLES:
        data = (samples_folder() / name).read_bytes()
        files[name] = data
        files[f"{Path(name).stem}-q90.jpg"] = resaved_jpeg(data)
    for name, software in (("coffee.png", "Adobe Photoshop 25.0 (Windows)"), ("chelsea.png", "Krita 5.2.2")):
        files[f"{Path(name).stem}-edited.jpg"] = jpeg_bytes(
            sample(name), software=software, source_type="digitalCapture"
        )
    files["astronaut-credentials.jpg"] = c2pa_jpeg(sample("astronaut.png"), "digitalCapture")
    for picture in ("coffee.png", "chelsea.png"):  # captions and software fields that talk about AI
        for name, data in generator_files.human_files_mentioning_ai(sample(picture)).items():
            files[f"{Path(picture).stem}-{name}"] = data
    files["color-credentials.jpg"] = c2pa_jpeg(sample("color.png"), "digitalCreation")
    return files


def build(folder: Path) -> dict[str, int]:
    """Writes folder/human and folder/ai; AI originals are also written re-saved and resized, with the
    variant after the last '.' of the stem (`a1111-astronaut.q90.jpg`, `….q90-444.jpg`, `….resized.png`)."""
    human, ai = Path(folder, "human"), Path(folder, "ai")
    human.mkdir(parents=True, exist_ok=True)
    ai.mkdir(parents=True, exist_ok=True)
    for name, data in human_files().items():
        (human / name).write_bytes(data)
    for name, data in ai_originals().items():
        stem = Path(name).stem
        (ai / name).write_bytes(data)
        (ai / f"{stem}.q90.jpg").write_bytes(resaved_jpeg(data))
        (ai / f"{stem}.q90-444.jpg").write_bytes(resaved_jpeg(data, full_chroma=True))
        (ai / f"{stem}.resized.png").write_bytes(resized_png(data))
    return {"human": len(list(human.iterdir())), "ai": len(list(ai.iterdir()))}


if __name__ == "__main__":
    import os

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    import django

    django.setup()
    print(build(Path(sys.argv[1])))
