"""When the object store is unreachable, requests that need it get a clear 503, not a 500.

Pages never talk to the store (rendition URLs are signed locally, media.signed_media), so
they keep rendering; an upload or an edit that must write a file is refused before anything points
at the missing object: a tus PATCH leaves the upload's offset where it was (the client resumes it),
and a form upload is simply not saved. Retry-After tells clients when to try again.
"""

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as StoreConnectionError
from django.http import HttpResponse

RETRY_AFTER_SECONDS = 30
MESSAGE = (
    "The file store is unreachable right now, so this file was not saved and nothing was lost. Try again in a minute."
)


def is_store_outage(error: BaseException) -> bool:
    if isinstance(error, StoreConnectionError | HTTPClientError):
        return True
    if isinstance(error, ClientError):
        return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    return False


class StoreOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_store_outage(exception):
            return None
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        if request.path.startswith("/uploads/"):
            response.headers["Tus-Resumable"] = "1.0.0"
        return response
