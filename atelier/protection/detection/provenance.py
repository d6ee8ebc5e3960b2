"""Provenance signals: what an uploaded file says about its own origin, read from the ORIGINAL
(renditions are stripped). Near-certain when present: generators and AI tools write them.

Each reader returns a `Finding` (hit, clear, or error with the message). A hostile or broken file is
that reader's error, never an exception: the other readers still decide. Every parse is bounded
(metadata.py). What counts as a generator's writing is decided by its structure (generators.py): a
caption or a Software field that merely mentions an AI tool is not evidence.

A hit's detail always has `generator`, `where` (the field, in words), `settings` (a few readable
settings) and `excerpt` (the raw text, cut to 300 characters), for the moderator's evidence panel.
"""

import html
import json
import re
from dataclasses import dataclass, field

from atelier.core.outbound import C2PA_OFFLINE_SETTINGS
from atelier.protection.detection import generators
from atelier.protection.detection.metadata import FileMetadata, read_metadata

AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
SIGNALS = ("png_text", "exif", "xmp", "c2pa", "stealth")
EXCERPT = 300
_INVOKEAI_KEYS = ("invokeai_metadata", "invokeai_graph", "invokeai_workflow", "sd-metadata")


@dataclass
class Finding:
    signal: str
    outcome: str  # "hit", "clear" or "error"
    detail: dict = field(default_factory=dict)

    @property
    def hit(self) -> bool:
        return self.outcome == "hit"


def _hit(signal: str, found: generators.Recognised, where: str, raw: str) -> Finding:
    detail = {"generator": found.generator, "where": where, "settings": found.settings, "excerpt": raw[:EXCERPT]}
    return Finding(signal, "hit", detail)


def png_text_chunks(meta: FileMetadata) -> Finding:
    """A1111/Forge `parameters`, Fooocus (`parameters` JSON + `fooocus_scheme`), ComfyUI `prompt`/
    `workflow`, InvokeAI `invokeai_metadata`/`invokeai_graph`/`Dream`, NovelAI (`Software` NovelAI,
    `Comment` JSON), Midjourney's `Description` with its job id, or generator settings in any chunk."""
    if "png_text" in meta.problems:
        return Finding("png_text", "error", {"error": meta.problems["png_text"]})
    texts = meta.texts
    for key in ("prompt", "workflow"):
        if found := generators.comfyui(generators.json_object(texts.get(key, ""))):
            return _hit("png_text", found, f"PNG text chunk `{key}`", texts[key])
    for key in _INVOKEAI_KEYS:
        if texts.get(key, "").strip():
            data = generators.json_object(texts[key]) or {}
            found = generators.Recognised("InvokeAI", generators.generic_settings(data))
            found.settings.pop("prompt", None)
            return _hit("png_text", found, f"PNG text chunk `{key}`", texts[key])
    if found := generators.dream(texts.get("Dream", "")):
        return _hit("png_text", found, "PNG text chunk `Dream`", texts["Dream"])
    software = generators.self_named(texts.get("Software", ""))
    if software:
        found = generators.settings_json(texts.get("Comment", "")) or generators.Recognised(software)
        name = "NovelAI" if software.lower() == "novelai" else software
        settings = {k: v for k, v in found.settings.items() if k != "prompt"}
        if texts.get("Source"):
            settings["Model"] = generators.short(texts["Source"])
        return _hit("png_text", generators.Recognised(name, settings), "PNG text chunk `Software`", texts["Software"])
    if "parameters" in texts and texts.get("fooocus_scheme"):
        found = generators.settings_json(texts["parameters"]) or generators.a1111(texts["parameters"])
        if found:
            found.generator = "Fooocus"
            return _hit("png_text", found, "PNG text chunk `parameters` (with `fooocus_scheme`)", texts["parameters"])
    ordered = sorted(texts, key=lambda key: key != "parameters")  # A1111's own chunk first
    for key in ordered:
        if key == "XML:com.adobe.xmp":
            continue  # the XMP reader's
        if found := generators.free_text(texts[key]):
            return _hit("png_text", found, f"PNG text chunk `{key}`", texts[key])
    return Finding("png_text", "clear", {"chunks": sorted(texts)[:20]})


def exif_fields(meta: FileMetadata) -> Finding:
    """EXIF written by generators: A1111/Forge/Fooocus settings in UserComment (IFD0 or the Exif
    sub-IFD, any character code), ComfyUI's WebP `prompt:`/`workflow:` JSON in Make/Model and the
    tags below them, settings in ImageDescription, or a generator naming itself as Software."""
    if "exif" in meta.problems:
        return Finding("exif", "error", {"error": meta.problems["exif"]})
    for name, value in meta.exif.items():
        key, _, rest = value.partition(":")
        if key in ("prompt", "workflow") and (found := generators.comfyui(generators.json_object(rest))):
            return _hit("exif", found, f"EXIF {name} (`{key}:` JSON, as ComfyUI saves WebP)", value)
    for name, value in meta.exif.items():
        if name.endswith(("UserComment", "ImageDescription", "XPComment")) and (found := generators.free_text(value)):
            if generators.self_named(meta.exif.get("IFD0 Software", "")) == "Fooocus" or (
                meta.exif.get("IFD0 MakerNote", "") in ("fooocus", "a1111") and found.generator != "Fooocus"
            ):
                found.generator = "Fooocus"
            return _hit("exif", found, f"EXIF {name}", value)
    software = meta.exif.get("IFD0 Software", "")
    if generator := generators.self_named(software):
        return _hit("exif", generators.Recognised(generator), "EXIF Software", software)
    return Finding("exif", "clear", {"fields": sorted(meta.exif)[:20]})


_XMP_SOURCE = r"DigitalSourceType(?:\s*=\s*[\"']|>|[^>]{0,80}?resource\s*=\s*[\"'])\s*([^\"'<\s]{1,200})"
_XMP_TEXT_FIELDS = {"UserComment": "exif:UserComment", "description": "dc:description"}


def _xmp_value(xmp: str, name: str) -> str:
    """The value of an XMP property written as an attribute or as an element (first rdf:li of an Alt)."""
    attribute = re.search(rf"\b(?:\w+:)?{name}\s*=\s*([\"'])(.{{0,65536}}?)\1", xmp, re.DOTALL)
    if attribute:
        return html.unescape(attribute.group(2))
    element = re.search(rf"<(?:\w+:)?{name}\b[^>]*>(.{{0,65536}}?)</(?:\w+:)?{name}>", xmp, re.DOTALL)
    if not element:
        return ""
    inner = element.group(1)
    item = re.search(r"<rdf:li\b[^>]*>(.*?)</rdf:li>", inner, re.DOTALL)
    return html.unescape(item.group(1) if item else re.sub(r"<[^>]+>", "", inner)).strip()


def xmp_fields(meta: FileMetadata) -> Finding:
    """XMP: IPTC `DigitalSourceType` of trained algorithmic media (Midjourney, DALL·E, Firefly, Google),
    a generator as `xmp:CreatorTool` (Draw Things), Google's "Made with Google AI" credit, and generator
    settings in `exif:UserComment` / `dc:description` (Draw Things' JSON, A1111 text, Midjourney's job)."""
    if "xmp" in meta.problems and not meta.xmp:
        return Finding("xmp", "error", {"error": meta.problems["xmp"]})
    xmp = meta.xmp
    credit = _xmp_value(xmp, "Credit") or meta.iptc.get("Credit", "")
    for match in re.finditer(_XMP_SOURCE, xmp):
        if match.group(1).endswith(AI_SOURCE_TYPES):
            generator = "Google AI" if credit.lower().startswith("made with google ai") else "an AI image generator"
            found = generators.Recognised(generator, {"Digital source type": match.group(1).rsplit("/", 1)[-1]})
            detail = _hit("xmp", found, "XMP Iptc4xmpExt:DigitalSourceType", match.group(0)).detail
            return Finding("xmp", "hit", {**detail, "digital_source_type": match.group(1)})
    tool = _xmp_value(xmp, "CreatorTool")
    for name, where in _XMP_TEXT_FIELDS.items():
        value = _xmp_value(xmp, name)
        if value and (found := generators.free_text(value)):
            if generators.self_named(tool):
                found.generator = generators.self_named(tool)
            return _hit("xmp", found, f"XMP {where}", value)
    if generator := generators.self_named(tool):
        return _hit("xmp", generators.Recognised(generator), "XMP xmp:CreatorTool", tool)
    if generators.self_named(credit) == "Made with Google AI":
        return _hit("xmp", generators.Recognised("Google AI"), "IPTC Credit line", credit)
    for name in ("Caption",):
        if found := generators.free_text(meta.iptc.get(name, "")):
            return _hit("xmp", found, f"IPTC {name}", meta.iptc[name])
    return Finding("xmp", "clear")


def c2pa_manifest(path, mime: str) -> Finding:
    """A C2PA manifest whose actions declare a trained-algorithmic (AI) digital source type; the
    signer and validation state are recorded whatever the verdict. Offline: a manifest stored at a
    URL the file names is not fetched (the uploader would choose where the worker connects)."""
    import c2pa

    try:
        with open(path, "rb") as file:
            reader = c2pa.Reader(mime, file, context=c2pa.Context.from_dict(C2PA_OFFLINE_SETTINGS))
            store = json.loads(reader.json())
            state = reader.get_validation_state()
    except Exception as error:
        message = str(error)
        if message.startswith("Remote"):
            return Finding("c2pa", "error", {"error": "the manifest is stored remotely and is not fetched"})
        if "ManifestNotFound" in type(error).__name__ or "no JUMBF" in message or "not found" in message.lower():
            return Finding("c2pa", "clear", {"manifest": False})
        return Finding("c2pa", "error", {"error": message[:300]})
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    signer = (active.get("signature_info") or {}).get("issuer", "")
    detail = {"manifest": True, "validation_state": state, "signer": signer}
    for manifest in store.get("manifests", {}).values():
        for assertion in manifest.get("assertions", []):
            if assertion.get("label", "").startswith("c2pa.actions"):
                for action in (assertion.get("data") or {}).get("actions", []):
                    source = str(action.get("digitalSourceType", ""))
                    if source.endswith(AI_SOURCE_TYPES):
                        return Finding("c2pa", "hit", {**detail, "digital_source_type": source})
    return Finding("c2pa", "clear", detail)


MIME_BY_FORMAT = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif",
                  "heic": "image/heic", "heif": "image/heif", "gif": "image/gif", "tiff": "image/tiff"}  # fmt: skip


def read_all(path, original_format: str) -> list[Finding]:
    """The four metadata signals; the file's containers are parsed once for all of them."""
    try:
        meta = read_metadata(path)
    except OSError as error:
        meta = FileMetadata(problems=dict.fromkeys(("png_text", "exif", "xmp"), str(error)[:300]))
    findings = [png_text_chunks(meta), exif_fields(meta), xmp_fields(meta)]
    mime = MIME_BY_FORMAT.get((original_format or "").lower())
    findings.append(c2pa_manifest(path, mime) if mime else Finding("c2pa", "clear", {"format": original_format}))
    return findings
