"""The surge's newcomers find their confirmation link in what Django's file backend wrote, also when
two mails went into one file (bench/surge_mailbox.py)."""

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend

from bench.surge_mailbox import Mailbox


def confirmation(address: str, token: str) -> EmailMessage:
    body = f"Welcome!\n\nhttp://127.0.0.1:8280/accounts/verify/{token}/\n"
    return EmailMessage("Confirm your email address for Atelier", body, "no-reply@atelier.local", [address])


def test_every_link_is_found_when_one_file_holds_two_mails_written_at_different_times(tmp_path):
    backend = EmailBackend(file_path=str(tmp_path))  # one backend object: one file, appended to
    backend.send_messages([confirmation("first@surge.local", "aaa:1")])
    mailbox = Mailbox(str(tmp_path))
    assert mailbox.wait_for("first@surge.local", timeout=1) == "/accounts/verify/aaa:1/"
    backend.send_messages([confirmation("second@surge.local", "bbb:2")])  # after the file was read
    assert len(list(tmp_path.iterdir())) == 1
    assert mailbox.wait_for("second@surge.local", timeout=1) == "/accounts/verify/bbb:2/"


def test_a_mail_never_sent_is_not_found_and_other_mail_is_ignored(tmp_path):
    EmailBackend(file_path=str(tmp_path)).send_messages(
        [EmailMessage("Someone liked your post", "No link here.", "no-reply@atelier.local", ["x@surge.local"])]
    )
    mailbox = Mailbox(str(tmp_path))
    assert mailbox.wait_for("x@surge.local", timeout=0.6) is None
    assert mailbox.wait_for("nobody@surge.local", timeout=0.6) is None
