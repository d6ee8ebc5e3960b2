from django.db import transaction
from django.template.loader import render_to_string

from atelier.core.tasks import send_email_message


def queue_templated_email(*, template: str, context: dict, to: str) -> None:
    """Render `<template>_subject.txt` and `<template>_body.txt` now, send from the email queue after commit.

    Rendering happens in the request so the worker needs no request context; sending waits
    for the commit so no one gets a link to something that was rolled back.
    """
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    transaction.on_commit(lambda: send_email_message.delay(subject, body, [to]))
