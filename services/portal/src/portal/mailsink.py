"""A local mail sink for development and tests: an SMTP server (aiosmtpd) that keeps every message it
receives, in memory and, when given a folder, as one `.eml` file per message with its decoded text beside it
(`.txt`), where a developer reads them.

`python -m portal.mailsink --port 8025 --dir .run/mail` (what `scripts/infra/mailsink.sh start` runs);
tests start a `MailSink` in-process and read the links from its messages.
"""

from __future__ import annotations

import argparse
import re
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Keeper:
    def __init__(self, folder: Path | None) -> None:
        self.messages: list[EmailMessage] = []
        self.folder = folder
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{len(self.messages):04d}"
            (self.folder / f"{name}.eml").write_bytes(envelope.content)
            # The same, decoded, for reading (and grepping the link) without a mail program.
            (self.folder / f"{name}.txt").write_text(readable(message), encoding="utf-8")
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, folder: Path | None = None) -> None:
        self._keeper = _Keeper(folder)
        self.port = port or _free_port(host)
        self._controller = Controller(self._keeper, hostname=host, port=self.port)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self._keeper.messages)

    def wait_for(self, to: str, subject_part: str, count: int = 1, timeout_s: float = 15.0) -> EmailMessage:
        """The `count`-th message to `to` whose subject contains `subject_part`, waiting for it."""
        deadline = time.monotonic() + timeout_s
        with self._keeper.arrived:
            while True:
                found = [
                    m
                    for m in self._keeper.messages
                    if to in str(m["To"]) and subject_part in str(m["Subject"])
                ]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no mail {subject_part!r} to {to} within {timeout_s} s")
                self._keeper.arrived.wait(left)


def readable(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n\n{text}"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def link_in(message: EmailMessage, path_part: str) -> str:
    """The first link in the message's text whose path contains `path_part`."""
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    match = re.search(rf"https?://\S*{re.escape(path_part)}\S*", text)
    if match is None:
        raise AssertionError(f"no link with {path_part!r} in: {text}")
    return match.group(0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="mailsink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path(".run/mail"))
    arguments = parser.parse_args()
    sink = MailSink(arguments.host, arguments.port, arguments.dir).start()
    print(f"mail sink on {arguments.host}:{arguments.port}, messages in {arguments.dir}", flush=True)
    try:
        threading.Event().wait()
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
