"""Deliver built messages over SMTP: never twice, a failing recipient never stops the rest."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.config import Smtp
from pipeline.errors import PipelineError
from pipeline.mail import Outgoing
from pipeline.store import Store

TRANSIENT = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)


@dataclass(frozen=True)
class Delivery:
    key: str
    recipient: str
    status: str  # sent, skipped (already sent), failed
    detail: str = ""


class SmtpError(PipelineError):
    """The SMTP server cannot be used at all (login refused, TLS failed)."""


def _connect(cfg: Smtp, password: str | None, timeout: float) -> smtplib.SMTP:
    if cfg.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg.host, cfg.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
        if cfg.security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if cfg.user:
        try:
            server.login(cfg.user, password or "")
        except smtplib.SMTPAuthenticationError as exc:
            server.close()
            raise SmtpError(f"邮件服务器拒绝登录（用户 {cfg.user}）：{exc.smtp_code}") from exc
    return server


def deliver(
    messages: Sequence[Outgoing],
    *,
    cfg: Smtp,
    password: str | None,
    store: Store,
    period: str,
    resend: bool = False,
    retries: int = 3,
    delay: float = 1.0,
    timeout: float = 30.0,
) -> list[Delivery]:
    """Send each message to the recipients it has not yet reached (all of them with
    ``resend``). Transient failures (connection lost, 4xx) are retried ``retries`` times;
    a refused recipient (5xx) is reported and the others still receive the message."""
    done = set() if resend else store.sent(period)
    results: list[Delivery] = []
    for msg in messages:
        pending = [r for r in msg.to if (msg.key, r) not in done]
        results += [
            Delivery(msg.key, r, "skipped", "此前已发送") for r in msg.to if r not in pending
        ]
        attempt = 0
        while pending:
            attempt += 1
            failures: dict[str, str] = {}
            transient: list[str] = []
            try:
                server = _connect(cfg, password, timeout)
                try:
                    refused = server.sendmail(cfg.sender, pending, msg.raw)
                finally:
                    try:
                        server.quit()
                    except (smtplib.SMTPException, OSError):
                        server.close()
            except smtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients
            except (smtplib.SMTPResponseException, *TRANSIENT) as exc:
                code = getattr(exc, "smtp_code", 0)
                if isinstance(exc, smtplib.SMTPResponseException) and code >= 500:
                    failures = {r: f"服务器拒绝（{code}）" for r in pending}
                    refused = {}
                else:
                    refused = {r: (code or 421, str(exc).encode()) for r in pending}
            except OSError as exc:
                refused = {r: (421, str(exc).encode()) for r in pending}
            for r in pending:
                if r in failures:
                    continue
                if r not in refused:
                    store.record_sent(period, msg.key, r, msg.subject, dt.datetime.now())
                    results.append(Delivery(msg.key, r, "sent"))
                elif refused[r][0] >= 500:
                    failures[r] = f"服务器拒收（{refused[r][0]}）"
                else:
                    transient.append(r)
            results += [Delivery(msg.key, r, "failed", why) for r, why in failures.items()]
            if transient and attempt < retries:
                pending = transient
                time.sleep(delay * attempt)
                continue
            results += [
                Delivery(msg.key, r, "failed", f"重试{attempt}次仍未发出") for r in transient
            ]
            pending = []
    return results
