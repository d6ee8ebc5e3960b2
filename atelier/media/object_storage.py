"""The S3 storage the site's buckets use: django-storages' `S3Storage` asking the object store fewer
questions for the same work.

Measured with `bench/media_cpu_per_image.py --s3-port`: through the plain `S3Storage` one uploaded
image cost about 128 object-store requests (87 of them HEAD), and the media worker spent ~180 ms of
CPU an image in boto3 on them, about a quarter of its media CPU. Three habits made most of them:

- Opening a file for reading was three requests: a HEAD when the file object is made, and the
  transfer manager's own HEAD and GET to download it (in a thread pool). `_open` here reads with one
  GET into a spooled temporary file, which is as seekable as the file `S3Storage` hands out.
- Moving a rendition between the withheld and the public prefix (posts.files) downloaded it through
  the worker and uploaded it again, asking three times whether a file was there on the way: eight
  requests. `copied_from` asks the store to copy it server side: one request, no bytes through the
  worker, and the missing source is its answer (no HEAD first).
- Saving asked whether the name was free first (a HEAD), because `file_overwrite` was off. Every name
  this site stores carries a random token (media.intake, media.processing, posts.covers,
  media.stored_credentials, accounts.profile_images, moderation.proofs, portability, cloak) or is
  meant to replace what is there (uploads.chunks), so config/settings/storage.py turns it on.

Both methods work on keys as `S3Storage` itself names them (`_normalize_name`, the storage's
`location` prefix joined to the name, refusing `..`), so a copied or read object is the one `save`
wrote: tests/media/test_object_storage.py checks that on moto's S3 server and on SeaweedFS, and
tests/stack/ runs the whole site on SeaweedFS through it.
"""

import shutil
import tempfile

from botocore.exceptions import ClientError
from django.core.files.base import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

READ_IN_MEMORY_BYTES = 8 * 1024 * 1024  # a read larger than this spills to a temporary file on disk
COPY_PIECE_BYTES = 1024 * 1024


class ObjectStorage(S3Storage):
    def _open(self, name, mode="rb"):
        """Reading: one GET into a seekable spooled file. Writing: `S3Storage`'s own file object."""
        if set(mode) - {"r", "b"}:
            return super()._open(name, mode)
        key = self._key(name)
        try:
            answer = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if _is_missing(error):
                raise FileNotFoundError(f"File does not exist: {key}") from error
            raise
        # Handed to the caller inside the File, who closes it; closed here only if the read fails.
        local = tempfile.SpooledTemporaryFile(max_size=READ_IN_MEMORY_BYTES)  # noqa: SIM115
        try:
            with answer["Body"] as body:
                shutil.copyfileobj(body, local, length=COPY_PIECE_BYTES)
        except BaseException:
            local.close()
            raise
        local.seek(0)
        return File(local, name=name)

    def copied_from(self, source: "ObjectStorage", name: str) -> bool:
        """Copy `name` from `source` (this store, any bucket or prefix) to `name` here, server side, with
        this storage's content type, ACL and object parameters. False when `source` has no such file."""
        key = self._key(name)
        try:
            self.connection.meta.client.copy_object(
                Bucket=self.bucket_name,
                Key=key,
                CopySource={"Bucket": source.bucket_name, "Key": source._key(name)},
                # The object takes this storage's headers (a public rendition's Cache-Control, its
                # ACL), not the withheld copy's.
                MetadataDirective="REPLACE",
                **self._get_write_parameters(key),
            )
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def _key(self, name: str) -> str:
        """The object key `S3Storage` keeps `name` under (its location prefix; `..` refused)."""
        return self._normalize_name(clean_name(name))


def _is_missing(error: ClientError) -> bool:
    answer = error.response
    return answer.get("Error", {}).get("Code") in ("NoSuchKey", "404") or (
        answer.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404
    )
