"""Recognising what image generators write, by its structure rather than by names in free text.

A caption that says "not made with Midjourney" or "my answer to DALL·E" is a person writing; what a
generator writes has a grammar:

- Automatic1111 / Forge / reForge (and tools copying their "infotext", e.g. Civitai, ComfyUI save
  nodes): the prompt, an optional `Negative prompt:` line, then one line of `Key: value` pairs
  starting `Steps: N, Sampler: …, … CFG scale: …, Seed: …` (modules/infotext_utils.py). Parsed with
  the same key/value grammar A1111 uses.
- ComfyUI: the API graph (`{"3": {"class_type": "KSampler", "inputs": {…}}}`) and the UI workflow
  (`{"nodes": […], "links": […]}`), as JSON.
- InvokeAI: `invokeai_metadata` JSON; the old `Dream` line (`"prompt" -s 50 -S 42 …`).
- NovelAI: its `Comment` JSON (`steps`, `sampler`, `seed`, `scale`, `uc`).
- Fooocus: a flat JSON of settings whose `version` is "Fooocus v…" (or `base_model` with
  `performance`), tagged `fooocus_scheme`.
- Draw Things: XMP `exif:UserComment` JSON with `c` (the prompt) next to `seed`, `steps`, `sampler`,
  `scale`, `model`.
- Midjourney: its Description "<prompt> --ar 2:3 --v 6 Job ID: <uuid>".
- Any other JSON of generation settings: three or more of steps, seed, sampler, CFG, prompt,
  negative prompt, model, scheduler.

Names count only in fields where a program names itself (EXIF Software, XMP CreatorTool, PNG
Software, a credit line), and only at the start of the value ("NovelAI", "Fooocus v2.5.5").
"""

import json
import re
from dataclasses import dataclass, field

# A1111's own key/value grammar for the settings line (modules/infotext_utils.py re_param_code).
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_STEPS_LINE = re.compile(r"^Steps: \d+,.*$", re.MULTILINE)
_A1111_KEYS = ("Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "Model hash", "Denoising strength")
_SUMMARY_KEYS = ("Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "Version")
_MIDJOURNEY_JOB = re.compile(r"Job ID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I)
_MIDJOURNEY_FLAG = re.compile(r"--(v|ar|stylize|s|chaos|niji|style|q|seed)\s+([\w:.]+)")
_DREAM = re.compile(r'^"[^"]*"(?:\s+-[a-zA-Z]+\s+\S+)*?\s+-s\s*\d+.*\s-S\s*\d+')
SELF_NAMING = re.compile(
    r"^\s*(novelai|fooocus|draw things|midjourney|dall[·\-\s]?e|adobe firefly|firefly|comfyui|invokeai|"
    r"stable diffusion|automatic1111|leonardo\.ai|ideogram|flux\.1|imagen|bing image creator|nightcafe|"
    r"chatgpt|gpt-image|gpt-4o|made with google ai|google gemini)\b",
    re.IGNORECASE,
)
_GENERIC_SETTINGS = {
    "steps": "Steps", "seed": "Seed", "noise_seed": "Seed", "sampler": "Sampler", "sampler_name": "Sampler",
    "cfg": "CFG scale", "cfg_scale": "CFG scale", "scale": "CFG scale", "guidance_scale": "CFG scale",
    "scheduler": "Scheduler", "model": "Model", "ckpt_name": "Model", "base_model": "Model",
    "prompt": "prompt", "positive_prompt": "prompt", "c": "prompt", "negative_prompt": "negative prompt",
    "uc": "negative prompt", "width": "Width", "height": "Height", "size": "Size",
}  # fmt: skip


@dataclass
class Recognised:
    generator: str
    settings: dict[str, str] = field(default_factory=dict)  # a few readable settings, in order


def short(value, limit: int = 80) -> str:
    text = value.get("name", value) if isinstance(value, dict) else value
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def a1111(text: str) -> Recognised | None:
    """The A1111 infotext's settings line, when it has Steps and two more of its keys."""
    for line in _STEPS_LINE.findall(text or ""):
        params = {key.strip(): value.strip().strip('"') for key, value in _PARAM.findall(line)}
        if sum(key in params for key in _A1111_KEYS) >= 2:
            version = params.get("Version", "")
            generator = "Forge (Stable Diffusion web UI)" if version.startswith("f") else (
                "Automatic1111 / Stable Diffusion web UI")  # fmt: skip
            return Recognised(generator, {key: short(params[key]) for key in _SUMMARY_KEYS if key in params})
    return None


def json_object(text: str):
    text = (text or "").strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def comfyui(data: dict | None) -> Recognised | None:
    """A ComfyUI API graph or UI workflow, with the sampler's settings when one is in the graph."""
    if not data:
        return None
    nodes = [node for node in data.values() if isinstance(node, dict) and "class_type" in node]
    if nodes:
        settings = {}
        for node in nodes:
            inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
            if "KSampler" in str(node.get("class_type")) or "steps" in inputs:
                for key, label in (("steps", "Steps"), ("sampler_name", "Sampler"), ("scheduler", "Scheduler"),
                                   ("cfg", "CFG scale"), ("seed", "Seed"), ("noise_seed", "Seed")):  # fmt: skip
                    if key in inputs and not isinstance(inputs[key], list):
                        settings.setdefault(label, short(inputs[key]))
            if "ckpt_name" in inputs or "unet_name" in inputs:
                settings.setdefault("Model", short(inputs.get("ckpt_name") or inputs.get("unet_name")))
        return Recognised("ComfyUI", settings)
    if isinstance(data.get("nodes"), list):
        types = [str(node.get("type")) for node in data["nodes"] if isinstance(node, dict) and node.get("type")]
        settings = {"Nodes": str(len(data["nodes"]))}
        if types:
            settings["Uses"] = ", ".join(types[:4])
        return Recognised("ComfyUI", settings)
    return None


def generic_settings(data: dict) -> dict[str, str]:
    settings = {}
    for key, value in data.items():
        label = _GENERIC_SETTINGS.get(str(key).lower().replace(" ", "_"))
        if label and value not in (None, "", [], {}):
            settings.setdefault(label, short(value))
    return settings


def settings_json(text: str) -> Recognised | None:
    """A JSON object written by a generator: ComfyUI, Fooocus, Draw Things, NovelAI or InvokeAI by
    their shape, or any JSON carrying three or more generation settings."""
    data = json_object(text)
    if data is None:
        return None
    if found := comfyui(data):
        return found
    keys = {str(key).lower().replace(" ", "_") for key in data}
    settings = generic_settings(data)
    if str(data.get("version", data.get("Version", ""))).lower().startswith("fooocus") or (
        "base_model" in keys and ("performance" in keys or "full_prompt" in keys)
    ):
        return Recognised("Fooocus", {k: v for k, v in settings.items() if k not in ("prompt", "negative prompt")})
    if "c" in keys and len(keys & {"seed", "steps", "sampler", "scale", "model"}) >= 2:
        return Recognised("Draw Things", {k: v for k, v in settings.items() if k not in ("prompt", "negative prompt")})
    if len(settings) >= 3 and len(set(settings) - {"prompt", "negative prompt"}) >= 2:
        return Recognised("an image generator", {k: v for k, v in settings.items() if k != "negative prompt"})
    return None


def midjourney(text: str) -> Recognised | None:
    if not (job := _MIDJOURNEY_JOB.search(text or "")):
        return None
    flags = dict(_MIDJOURNEY_FLAG.findall(text[: job.start()]))
    settings = {f"--{key}": value for key, value in flags.items()}
    return Recognised("Midjourney", {**settings, "Job ID": job.group(1)})


def dream(text: str) -> Recognised | None:
    """InvokeAI's old `Dream` line: the quoted prompt, then `-s` steps and `-S` seed switches."""
    if not _DREAM.match(text or ""):
        return None
    steps, seed = re.search(r"\s-s\s*(\d+)", text), re.search(r"\s-S\s*(\d+)", text)
    return Recognised("InvokeAI", {"Steps": steps.group(1), "Seed": seed.group(1)})


def free_text(text: str) -> Recognised | None:
    """Settings a generator wrote into a free-text field (PNG text, UserComment, a description)."""
    return a1111(text) or settings_json(text) or midjourney(text)


def self_named(value: str) -> str | None:
    """The generator a Software / CreatorTool / credit field names at its start, if any."""
    found = SELF_NAMING.match(value or "")
    return found.group(1) if found else None
