"""Content Credentials added to renditions already stored.

Files drawn before the AI check settled carry none: C2PA needs a source type on the `c2pa.created`
action, and the evidence had none to state yet. Once it settles, the stored files are signed as they
are, under new names (a URL never changes what it shows), rather than drawn again: a WebP or AVIF
is signed in a few milliseconds, where drawing a post's covers again decodes the original and
encodes five WebP and five AVIF files (bench/media_cpu_per_image.py). Used for an item's renditions
(media.processing) and a post's covers (posts.covers).
"""

import secrets
from pathlib import Path

from atelier.media import content_credentials
from atelier.media.storages import open_rendition, save_rendition

SIGNED_KINDS = {".webp": "webp", ".avif": "avif", ".mp4": "mp4"}


def sign_stored_files(names, credentials: dict, *, public: bool = False) -> dict[str, str]:
    """Each named file C2PA can carry, signed with `credentials` and stored under a new name
    (withheld, or public for a public work: `storages.save_rendition`); returns {old name: new name}.
    The old files stay: the caller swaps names, then deletes them."""
    renamed = {}
    for name in names:
        kind = SIGNED_KINDS.get(Path(name).suffix)
        if kind is None:
            continue
        with open_rendition(name, public_first=public) as stored:
            signed = content_credentials.sign(stored.read(), kind, credentials)
        head, tail = name.rsplit("-", 1)
        renamed[name] = save_rendition(f"{head}-{secrets.token_hex(4)}-{tail}", signed, public=public)
    return renamed


def with_new_names(value, names: dict):
    """`value` (a renditions or covers dict) with every file name in `names` replaced by its new one."""
    if isinstance(value, dict):
        return {key: with_new_names(inner, names) for key, inner in value.items()}
    if isinstance(value, list):
        return [with_new_names(inner, names) for inner in value]
    return names.get(value, value) if isinstance(value, str) else value
