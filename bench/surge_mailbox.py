"""The surge's newcomers read their confirmation mail where the site's file backend writes it."""

import email
import os
import re
import time
from pathlib import Path

VERIFY_LINK = re.compile(r"/accounts/verify/[^/\s]+/")
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between two messages in one file (Django's file backend)


class Mailbox:
    """The site's outgoing mail as EMAIL_FILE_PATH's file backend writes it: recipient → link.

    A file is read again whenever it has grown. Django names a file by the second and the backend
    object's id(), so two mails sent in one second by one worker can land in one file, the second
    appended to the first: reading a file only until it gave a link lost the second (5 of 360
    sign-ups in the surge of 2026-12-06 16:30 UTC counted as "no confirmation mail within 60 s",
    each the second message of one of the run's 5 two-message files)."""

    def __init__(self, folder: str):
        self.folder = Path(folder) if folder else None
        self.sizes: dict[str, int] = {}  # file name → bytes already read
        self.links: dict[str, str] = {}

    def scan(self) -> None:
        for entry in os.scandir(self.folder):
            size = entry.stat().st_size
            if self.sizes.get(entry.name) == size:
                continue  # nothing written since it was read
            self.sizes[entry.name] = size
            for raw in Path(entry.path).read_bytes().split(SEPARATOR):
                message = email.message_from_bytes(raw.strip())
                bodies = [part.get_payload(decode=True) or b"" for part in message.walk() if not part.is_multipart()]
                link = VERIFY_LINK.search(b"".join(bodies).decode(errors="replace"))
                if link and message["To"]:
                    self.links[message["To"].strip().lower()] = link.group(0)

    def wait_for(self, address: str, timeout: float) -> str | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.scan()
            if address in self.links:
                return self.links[address]
            time.sleep(0.5)
        return None
