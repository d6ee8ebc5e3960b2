from celery import shared_task
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_email_message(subject: str, body: str, to: list[str]) -> None:
    """Send one plain-text email through the configured backend; retried when the SMTP server is away."""
    send_mail(subject, body, None, to)
