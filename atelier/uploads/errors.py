"""Why an upload request was refused: an HTTP status and a sentence a person can act on.

Services raise these; the tus views turn them into responses, and consumers (posts, ...) can show
`message` in a form error.
"""


class UploadError(Exception):
    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class UploadNotFound(UploadError):
    """Unknown, deleted, or someone else's: the same answer, so ids can't be probed."""

    status = 404

    def __init__(self, message: str = "This upload does not exist. Choose the file again to start over."):
        super().__init__(message)


class UploadGone(UploadError):
    status = 410


class UploadOffsetMismatch(UploadError):
    status = 409


class UploadTooLarge(UploadError):
    status = 413


class UploadIncomplete(UploadError):
    """A consumer asked for a file whose bytes have not all arrived."""

    status = 409


class UploadRateLimited(UploadError):
    status = 429
