"""Files written the way each image generator writes them, for the detection tests and the bench.

Each writer repeats the tool's own saving code (named in its docstring), with the same library
calls where the tool uses Python: A1111/Forge write JPEG/WebP EXIF with piexif, ComfyUI, InvokeAI,
Fooocus and NovelAI save through Pillow. Settings values are examples; the layout is the tool's.
Human files whose captions or software fields mention AI tools are here too: they must stay clear.
"""

import gzip
import io
import json

import numpy as np
import piexif
import piexif.helper
from PIL import Image, PngImagePlugin

A1111_TEXT = (
    "a lighthouse at dusk, volumetric light, masterpiece\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 832x1216, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1"
)
FORGE_TEXT = A1111_TEXT.replace("Version: v1.10.1", "Version: f2.0.1v1.10.1-previous-313-g8a042934")
COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8.0,
          "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse at dusk", "clip": ["4", 1]}},
}  # fmt: skip
COMFY_WORKFLOW = {"last_node_id": 9, "links": [[1, 4, 0, 3, 0, "MODEL"]], "version": 0.4,
                  "nodes": [{"id": 3, "type": "KSampler"}, {"id": 4, "type": "CheckpointLoaderSimple"}]}  # fmt: skip
INVOKEAI_METADATA = {"generation_mode": "sdxl_txt2img", "positive_prompt": "a lighthouse at dusk", "width": 1024,
                     "height": 1024, "seed": 2973459, "cfg_scale": 7.5, "steps": 30, "scheduler": "euler",
                     "model": {"name": "stable-diffusion-xl-base-1-0", "base": "sdxl"},
                     "app_version": "5.4.2"}  # fmt: skip
NOVELAI_COMMENT = {"prompt": "a lighthouse at dusk", "steps": 28, "height": 1216, "width": 832, "scale": 5.0,
                   "uncond_scale": 0.0, "cfg_rescale": 0.0, "seed": 3218563101, "n_samples": 1,
                   "noise_schedule": "native", "sampler": "k_euler_ancestral", "uc": "lowres, bad anatomy"}  # fmt: skip
NOVELAI_TEXT = {"Title": "AI generated image", "Description": "a lighthouse at dusk", "Software": "NovelAI",
                "Source": "Stable Diffusion XL C1E1DE52", "Generation time": "2.7",
                "Comment": json.dumps(NOVELAI_COMMENT)}  # fmt: skip
FOOOCUS_PARAMETERS = {"prompt": "a lighthouse at dusk", "negative_prompt": "", "styles": "['Fooocus V2']",
                      "performance": "Speed", "steps": 30, "resolution": "(1152, 896)", "guidance_scale": 4,
                      "sharpness": 2, "base_model": "juggernautXL_v8Rundiffusion", "refiner_model": "None",
                      "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "seed": "6184237081",
                      "version": "Fooocus v2.5.5"}  # fmt: skip
DRAW_THINGS_JSON = {"c": "a lighthouse at dusk", "uc": "blurry", "seed": 2401384045, "steps": 20,
                    "sampler": "DPM++ 2M Karras", "scale": 4.5, "model": "sd_xl_base_1.0_f16.ckpt",
                    "size": "1024x1024"}  # fmt: skip
MIDJOURNEY_JOB = "a7421d2f-b262-44f9-977c-ac23e9c7d3e3"
XMP_HEAD = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/{}"


def _png(image: Image.Image, texts: dict[str, str] | None = None, **options) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, **options)
    return buffer.getvalue()


def a1111_png(image: Image.Image, infotext: str = A1111_TEXT) -> bytes:
    """modules/images.py save_image_with_geninfo: a `parameters` tEXt chunk through PngInfo."""
    return _png(image.convert("RGB"), {"parameters": infotext})


def a1111_exif(image: Image.Image, fmt: str = "JPEG", infotext: str = A1111_TEXT, encoding: str = "unicode") -> bytes:
    """modules/images.py for .jpg/.jpeg/.webp: save, then piexif.insert(piexif.dump({"Exif": {UserComment:
    piexif.helper.UserComment.dump(geninfo, encoding="unicode")}})): UTF-16 in a big-endian TIFF block.
    `encoding` "ascii" / "jis" gives the other character codes piexif writes (tools calling dump's default)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, fmt, quality=80)
    comment = piexif.helper.UserComment.dump(infotext, encoding=encoding)
    exif_bytes = piexif.dump({"Exif": {piexif.ExifIFD.UserComment: comment}})
    out = io.BytesIO()
    piexif.insert(exif_bytes, buffer.getvalue(), out)
    return out.getvalue()


def comfyui_png(image: Image.Image) -> bytes:
    """nodes.py SaveImage: PngInfo `prompt` = json.dumps(prompt), then each extra_pnginfo key (`workflow`),
    compress_level 4."""
    texts = {"prompt": json.dumps(COMFY_PROMPT), "workflow": json.dumps(COMFY_WORKFLOW)}
    return _png(image.convert("RGB"), texts, compress_level=4)


def comfyui_webp(image: Image.Image) -> bytes:
    """comfy_extras SaveAnimatedWEBP / _ui.py: exif[0x0110] (Model) = "prompt:" + JSON, then extra_pnginfo
    keys from 0x010F (Make) downwards as "workflow:" + JSON."""
    image = image.convert("RGB")
    exif = image.getexif()
    exif[0x0110] = f"prompt:{json.dumps(COMFY_PROMPT)}"
    exif[0x010F] = f"workflow:{json.dumps(COMFY_WORKFLOW)}"
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", exif=exif, lossless=False, quality=80, method=4)
    return buffer.getvalue()


def invokeai_png(image: Image.Image) -> bytes:
    """DiskImageFileStorage.save: `invokeai_metadata` and `invokeai_graph` through PngInfo.add_text."""
    texts = {"invokeai_metadata": json.dumps(INVOKEAI_METADATA), "invokeai_graph": json.dumps({"id": "g", "nodes": {}})}
    return _png(image.convert("RGB"), texts)


def stealth_bits(image: Image.Image, payload: str, *, compressed: bool = True) -> Image.Image:
    """The stealth-pnginfo extension's add_data in alpha mode: signature, 32-bit length in bits, payload,
    written into the alpha LSBs column by column (x outer, y inner). Vectorised, same bit order."""
    image = image.convert("RGB")
    image.putalpha(255)
    signature = f"stealth_png{'comp' if compressed else 'info'}".encode()
    body = gzip.compress(payload.encode("utf-8")) if compressed else payload.encode("utf-8")
    bits = np.unpackbits(np.frombuffer(signature + (len(body) * 8).to_bytes(4, "big") + body, dtype=np.uint8))
    pixels = np.array(image)
    column_major = pixels[:, :, 3].T.reshape(-1).copy()
    if bits.size > column_major.size:
        raise ValueError("payload larger than the image")
    column_major[: bits.size] = (column_major[: bits.size] & 0xFE) | bits
    pixels[:, :, 3] = column_major.reshape(pixels.shape[1], pixels.shape[0]).T
    return Image.fromarray(pixels, "RGBA")


def novelai_png(image: Image.Image, *, text_chunks: bool = True) -> bytes:
    """NovelAI's download: its tEXt fields and, in the alpha LSBs, `stealth_pngcomp` of the same fields
    as JSON. `text_chunks=False`: the chunks stripped (as chat apps do), the pixels kept."""
    marked = stealth_bits(image, json.dumps(NOVELAI_TEXT))
    return _png(marked, NOVELAI_TEXT if text_chunks else None)


def a1111_stealth_png(image: Image.Image) -> bytes:
    """A1111 with the stealth-pnginfo extension (alpha, compressed), the `parameters` chunk stripped."""
    return _png(stealth_bits(image, A1111_TEXT))


def fooocus_png(image: Image.Image) -> bytes:
    """modules/private_logger.py log(): `parameters` (the JSON of the fooocus scheme) and `fooocus_scheme`."""
    return _png(image.convert("RGB"), {"parameters": json.dumps(FOOOCUS_PARAMETERS), "fooocus_scheme": "fooocus"})


def fooocus_jpeg(image: Image.Image, *, scheme: str = "fooocus") -> bytes:
    """modules/meta_parser.py get_exif: Image.Exif() with UserComment 0x9286 (the parameters, no character
    code, so in IFD0), Software 0x0131 "Fooocus v…", MakerNote 0x927C the scheme."""
    exif = Image.Exif()
    exif[0x9286] = json.dumps(FOOOCUS_PARAMETERS) if scheme == "fooocus" else A1111_TEXT
    exif[0x0131] = "Fooocus v2.5.5"
    exif[0x927C] = scheme
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def draw_things_png(image: Image.Image) -> bytes:
    """Draw Things: an XMP packet (iTXt `XML:com.adobe.xmp`) with xmp:CreatorTool 'Draw Things' and its
    settings JSON in exif:UserComment, single-quoted attributes as its samples show."""
    comment = json.dumps(DRAW_THINGS_JSON).replace("&", "&amp;").replace("<", "&lt;")
    xmp = (
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/' "
        "xmlns:exif='http://ns.adobe.com/exif/1.0/' xmlns:xmp='http://ns.adobe.com/xap/1.0/' "
        f"xmp:CreatorTool='Draw Things' dc:format='image/png'><exif:UserComment>{comment}</exif:UserComment>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def midjourney_png(image: Image.Image, *, with_xmp: bool = True) -> bytes:
    """A download from midjourney.com: tEXt Description "<prompt> <flags> Job ID: <uuid>", Author,
    Creation Time, and an XMP packet with iptcExt:DigImageGUID and the trainedAlgorithmicMedia source type."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", f"a lighthouse at dusk --ar 2:3 --v 6.1 Job ID: {MIDJOURNEY_JOB}")
    info.add_text("Author", "u1234567")
    info.add_text("Creation Time", "2024-06-01T12:00:00Z")
    if with_xmp:
        xmp = (
            f'{XMP_HEAD}<rdf:Description rdf:about="" xmlns:iptcExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            f'iptcExt:DigImageGUID="{MIDJOURNEY_JOB}" '
            f'iptcExt:DigitalSourceType="{SOURCE_TYPE.format("trainedAlgorithmicMedia")}"/></rdf:RDF></x:xmpmeta>'
        )
        info.add_itxt("XML:com.adobe.xmp", xmp)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def google_jpeg(image: Image.Image) -> bytes:
    """Gemini / Imagen downloads: XMP Iptc4xmpExt:DigitalSourceType trainedAlgorithmicMedia and
    photoshop:Credit "Made with Google AI"."""
    xmp = (
        f'{XMP_HEAD}<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'Iptc4xmpExt:DigitalSourceType="{SOURCE_TYPE.format("trainedAlgorithmicMedia")}">'
        "<photoshop:Credit>Made with Google AI</photoshop:Credit></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=90, xmp=xmp.encode())
    return buffer.getvalue()


def ai_files(image: Image.Image) -> dict[str, bytes]:
    """name (kind-variant.ext) → bytes: one file per generator and way of writing, from one picture."""
    return {
        "a1111.png": a1111_png(image),
        "a1111-unicode.jpg": a1111_exif(image),
        "a1111-ascii.jpg": a1111_exif(image, encoding="ascii"),
        "a1111-jis.jpg": a1111_exif(image, encoding="jis"),
        "a1111-unicode.webp": a1111_exif(image, "WEBP"),
        "forge-unicode.jpg": a1111_exif(image, infotext=FORGE_TEXT),
        "a1111stealth.png": a1111_stealth_png(image),
        "comfyui.png": comfyui_png(image),
        "comfyui.webp": comfyui_webp(image),
        "invokeai.png": invokeai_png(image),
        "novelai.png": novelai_png(image),
        "novelaistealth.png": novelai_png(image, text_chunks=False),
        "fooocus.png": fooocus_png(image),
        "fooocus.jpg": fooocus_jpeg(image),
        "fooocusa1111.jpg": fooocus_jpeg(image, scheme="a1111"),
        "drawthings.png": draw_things_png(image),
        "midjourney.png": midjourney_png(image),
        "midjourneytext.png": midjourney_png(image, with_xmp=False),
        "google.jpg": google_jpeg(image),
    }


def human_files_mentioning_ai(image: Image.Image) -> dict[str, bytes]:
    """Human work whose captions, comments or software fields talk about AI tools: all must stay clear."""
    image = image.convert("RGB")
    files = {}
    exif = Image.Exif()
    exif[0x010E] = "Painted by hand: no Midjourney, no Stable Diffusion, no DALL-E. Steps: sketch, ink, colour."
    exif[0x0131] = "Krita 5.2.2 (made without AI)"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    files["caption-krita.jpg"] = buffer.getvalue()
    comment = piexif.helper.UserComment.dump("Not AI: drawn without Stable Diffusion or ComfyUI", encoding="unicode")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    out = io.BytesIO()
    piexif.insert(piexif.dump({"0th": {piexif.ImageIFD.Make: "Canon", piexif.ImageIFD.Model: "Canon EOS R5"},
                               "Exif": {piexif.ExifIFD.UserComment: comment}}), buffer.getvalue(), out)  # fmt: skip
    files["usercomment-camera.jpg"] = out.getvalue()
    files["description-gouache.png"] = _png(image, {
        "Description": "My answer to DALL·E and Midjourney: gouache on paper, scanned. Job ID: none",
        "Comment": json.dumps({"layers": 12, "brushes": ["6B pencil", "gouache flat"], "canvas": "A3"}),
        "Software": "Procreate 5.3 (no AI features used)",
    })  # fmt: skip
    xmp = (
        f'{XMP_HEAD}<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmp:CreatorTool="Adobe Photoshop 25.0 (Windows)" '
        f'Iptc4xmpExt:DigitalSourceType="{SOURCE_TYPE.format("digitalCapture")}">'
        "<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>Reference photo. Generative Fill and Firefly "
        "were switched off; see my post on Stable Diffusion.</rdf:li></rdf:Alt></dc:description>"
        "<photoshop:Credit>Photo: Inès, not made with Google AI</photoshop:Credit>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, xmp=xmp.encode())
    files["xmp-photoshop.jpg"] = buffer.getvalue()
    buffer = io.BytesIO()
    image.convert("RGBA").save(buffer, "PNG")  # an ordinary RGBA PNG: its alpha LSBs are all 1s
    files["plain-rgba.png"] = buffer.getvalue()
    return files
