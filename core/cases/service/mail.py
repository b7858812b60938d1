"""Email over SMTP for Fox (the case digest): one message with a text and an HTML part.

Settings (core/settings.py): ``CANARY_SMTP_HOST`` (required to send), ``CANARY_SMTP_PORT`` (587),
``CANARY_SMTP_STARTTLS`` (true: upgrade before authenticating), ``CANARY_SMTP_USERNAME`` /
``CANARY_SMTP_PASSWORD`` (log in when a username is set), ``CANARY_SMTP_FROM``. A failure is a
``MailError`` whose message names the server and the reason, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from core.cases.domain.model import FoxError
from core.settings import Settings


class MailError(FoxError, RuntimeError):
    pass


def message(sender: str, to: Sequence[str], subject: str, text: str, html: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, ", ".join(to), subject
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def send(settings: Settings, to: Sequence[str], subject: str, text: str, html: str) -> None:
    if not settings.smtp_host:
        raise MailError("no mail server: set CANARY_SMTP_HOST (and CANARY_SMTP_PORT, CANARY_SMTP_FROM)")
    if not to:
        raise MailError("no recipient: give at least one --to address")
    mail = message(settings.smtp_from, to, subject, text, html)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            smtp.send_message(mail)
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            f"{where} does not offer STARTTLS: set CANARY_SMTP_STARTTLS=false only for a local relay"
        ) from None
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"{where} refused the login for {settings.smtp_username!r}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not send through {where}: {type(exc).__name__}: {exc}") from None
