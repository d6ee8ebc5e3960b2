"""Received bytes as chunk objects in the originals storage: `uploads/<uuid>/<offset:012d>`.

Web processes run on several hosts, so a client may resume on a different process than the one
that took its earlier chunks; the shared storage (a local folder by default, S3 in production) is
the only place every process and the worker can see. Each chunk is named by the byte offset it
starts at, so reading them back in order needs no listing: the size of one names the next.
"""

from typing import IO

from django.core.files import File

from atelier.media.storages import originals_storage

# Small enough that a 20 MB chunk never sits in memory, large enough to keep the loop cheap.
PIECE_BYTES = 64 * 1024


class ChunksMissing(Exception):
    """A chunk the offsets say exists is not in storage (purged, or removed by hand)."""


def upload_prefix(upload_id) -> str:
    return f"uploads/{upload_id}"


def chunk_name(upload_id, offset: int) -> str:
    return f"{upload_prefix(upload_id)}/{offset:012d}"


def receive(*, stream, length: int, into: IO[bytes]) -> int:
    """Copy up to `length` bytes of a request body into `into`, a piece at a time.

    A client that drops mid-chunk ends the stream early (or makes the read raise); what did arrive
    is kept, so the client can resume after it instead of sending the whole chunk again.
    """
    received = 0
    while received < length:
        try:
            piece = stream.read(min(PIECE_BYTES, length - received))
        except OSError:  # UnreadablePostError, ConnectionResetError, socket timeouts
            break
        if not piece:
            break
        into.write(piece)
        received += len(piece)
    return received


def chunk_store(*, upload_id, offset: int, content: IO[bytes]) -> None:
    """Save `content` as the chunk starting at `offset`. The caller holds the upload's row lock.

    Under that lock no committed chunk starts at `offset`, so anything already there was left by a
    request that died between writing the object and committing the new offset: replace it.
    """
    storage = originals_storage()
    name = chunk_name(upload_id, offset)
    storage.delete(name)
    content.seek(0)
    saved = storage.save(name, File(content, name=name))
    if saved != name:  # the storage picked another name: the chain of offsets would break
        storage.delete(saved)
        raise RuntimeError(f"Storage saved upload chunk {name!r} as {saved!r}.")


def chunks_assemble(*, upload_id, length: int, into: IO[bytes]) -> None:
    """Stream the chunks, in offset order, into `into`; never more than one piece in memory."""
    storage = originals_storage()
    offset = 0
    while offset < length:
        name = chunk_name(upload_id, offset)
        if not storage.exists(name):
            raise ChunksMissing(name)
        copied = 0
        with storage.open(name, "rb") as chunk:
            while piece := chunk.read(PIECE_BYTES):
                into.write(piece)
                copied += len(piece)
        if copied == 0:
            raise ChunksMissing(name)
        offset += copied
    if offset != length:
        raise ChunksMissing(f"{upload_prefix(upload_id)}: {offset} bytes stored, {length} expected")


def chunk_names(*, upload_id) -> list[str]:
    """Every stored object under the upload's prefix, including leftovers no offset points at."""
    prefix = upload_prefix(upload_id)
    try:
        _, names = originals_storage().listdir(prefix)
    except FileNotFoundError:
        return []
    return [f"{prefix}/{name}" for name in names]


def chunks_delete(*, upload_id) -> None:
    storage = originals_storage()
    for name in chunk_names(upload_id=upload_id):
        storage.delete(name)
    storage.delete(upload_prefix(upload_id))  # the now-empty local folder; nothing to do on S3
