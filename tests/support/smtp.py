"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for Fox's mail tests.

It speaks ESMTP as a relay would (EHLO, MAIL, RCPT, DATA) and offers no STARTTLS, so a sender set
to require STARTTLS is refused the way a plain local relay refuses it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """What the server accepted, in order: the parsed messages and their envelope recipients."""

    port: int = 0
    received: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # aiosmtpd's hook
        self.received.append(message_from_bytes(envelope.original_content or envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()
