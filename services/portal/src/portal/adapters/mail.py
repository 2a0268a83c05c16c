"""Sending mail over SMTP (host, port and sender from settings); a local mail sink in development and
tests (`portal.mailsink`)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from portal.config import Settings


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.mail_sender

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=10)
