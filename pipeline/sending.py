"""Deliver built messages over SMTP: never twice, a failing recipient never stops the rest.

Exactly once, as far as SMTP allows: a (message, recipient) pair is claimed in the store
(``sending``, with its Message-ID) before the server is contacted, and marked ``sent`` the
moment the server answers 250 to the message's DATA — not after QUIT. Between the two the
message may or may not have arrived; a later send finds the claim and reports it for the
office to confirm (``--resend-unconfirmed`` sends it again, with the same Message-ID). A
claim is one ``INSERT … ON CONFLICT DO NOTHING``: two senders cannot both claim one pair.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser

from pipeline.config import Smtp
from pipeline.errors import PipelineError
from pipeline.mail import Outgoing
from pipeline.store import SendState, Store

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
    status: str  # sent, skipped (already sent), unconfirmed (arrival unknown), failed
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


class _Unknown(Exception):
    """The message was handed over but the server's reply to it never came: it may have
    arrived or not, and only the recipients can say."""


def _transmit(
    server: smtplib.SMTP, sender: str, rcpts: Sequence[str], raw: bytes
) -> tuple[list[str], dict[str, tuple[int, bytes]]]:
    """MAIL, RCPT for each, DATA: the recipients the server accepted the message for, and
    those it refused with its reply. Raises :class:`_Unknown` when the connection fails after
    the message was sent and before the server replied, SMTP errors before that."""
    server.ehlo_or_helo_if_needed()
    code, resp = server.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    accepted = []
    for r in rcpts:
        code, resp = server.rcpt(r)
        if code in (250, 251):
            accepted.append(r)
        else:
            refused[r] = (code, resp)
    if not accepted:
        return [], refused
    server.putcmd("data")
    code, resp = server.getreply()
    if code != 354:
        return [], {**refused, **{r: (code, resp) for r in accepted}}
    payload = re.sub(rb"(?m)^\.", b"..", raw)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    try:
        server.send(payload + b".\r\n")
        code, resp = server.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _Unknown(str(exc)) from exc
    if code != 250:
        return [], {**refused, **{r: (code, resp) for r in accepted}}
    return accepted, refused


def _message_id(raw: bytes) -> str:
    headers = BytesHeaderParser().parsebytes(raw)
    return str(headers.get("Message-ID", "")).strip()


def _with_message_id(raw: bytes, old: str, new: str) -> bytes:
    """The message with its Message-ID header set to ``new`` (a resend of a message whose
    arrival is unknown keeps its first id, so clients that saw it can tell the copy)."""
    if not old or not new or old == new:
        return raw
    head, sep, body = raw.partition(b"\r\n\r\n")
    return head.replace(old.encode(), new.encode(), 1) + sep + body


UNCONFIRMED = (
    "上次发送时服务器未确认是否收到（{since}，Message-ID {mid}），请向收件人确认；"
    "确认未收到后用 --resend-unconfirmed 重发"
)


def _due(state: SendState | None, resend: bool, unconfirmed: bool) -> bool:
    """Whether a pair is to be sent now: never claimed, or asked for again."""
    return resend or state is None or (unconfirmed and state.state == "sending")


def deliver(
    messages: Sequence[Outgoing],
    *,
    cfg: Smtp,
    password: str | None,
    store: Store,
    period: str,
    resend: bool = False,
    unconfirmed: bool = False,
    retries: int = 3,
    delay: float = 1.0,
    timeout: float = 30.0,
) -> list[Delivery]:
    """Send each message to the recipients it has not yet reached (all of them with
    ``resend``; also those whose earlier send is unconfirmed with ``unconfirmed``). Each
    (message, recipient) is claimed in the store before the server is
    contacted and marked sent as soon as the server accepts the message's DATA; a claim a
    killed send left (``sending``: arrival unknown) is reported ``unconfirmed``, not sent
    blindly. Transient failures before DATA (connection lost, 4xx) are retried ``retries``
    times; a refused recipient (5xx) is reported and the others still receive the message."""
    token = uuid.uuid4().hex
    states = store.send_states(period)
    results: list[Delivery] = []
    for msg in messages:
        known = {r: states.get((msg.key, r)) for r in msg.to}
        if not resend:
            for r, st in known.items():
                if st is not None and st.state == "sent":
                    results.append(Delivery(msg.key, r, "skipped", "此前已发送"))
                elif st is not None and not unconfirmed:
                    detail = UNCONFIRMED.format(
                        since=st.claimed_at.replace("T", " "), mid=st.message_id
                    )
                    results.append(Delivery(msg.key, r, "unconfirmed", detail))
        wanted = [r for r in msg.to if _due(known[r], resend, unconfirmed)]
        raw = msg.raw
        if resend or unconfirmed:
            earlier = (s.message_id for s in known.values() if s and s.state == "sending")
            raw = _with_message_id(raw, _message_id(raw), next(earlier, ""))
        pending = store.claim(
            period,
            msg.key,
            wanted,
            subject=msg.subject,
            message_id=_message_id(raw),
            token=token,
            when=dt.datetime.now(),
            takeover=resend or unconfirmed,
            unconfirmed_only=not resend,
        )
        results += [
            Delivery(msg.key, r, "skipped", "另一次发送已认领") for r in wanted if r not in pending
        ]
        results += _send_one(
            msg, raw, pending, cfg, password, store, period, token, retries, delay, timeout
        )
    return results


def _send_one(
    msg: Outgoing,
    raw: bytes,
    pending: list[str],
    cfg: Smtp,
    password: str | None,
    store: Store,
    period: str,
    token: str,
    retries: int,
    delay: float,
    timeout: float,
) -> list[Delivery]:
    results: list[Delivery] = []
    attempt = 0
    while pending:
        attempt += 1
        failures: dict[str, str] = {}
        transient: list[str] = []
        accepted: list[str] = []
        refused: dict[str, tuple[int, bytes]] = {}
        try:
            server = _connect(cfg, password, timeout)
            try:
                accepted, refused = _transmit(server, cfg.sender, pending, raw)
                if accepted:  # before QUIT: a kill while it is said sends nothing twice
                    store.mark_sent(period, msg.key, accepted, token, dt.datetime.now())
            finally:
                try:
                    server.quit()
                except (smtplib.SMTPException, OSError):
                    server.close()
        except _Unknown as exc:
            results += [
                Delivery(
                    msg.key,
                    r,
                    "unconfirmed",
                    f"邮件已交给服务器但连接中断、未收到确认（{exc}），请向收件人确认；"
                    "确认未收到后用 --resend-unconfirmed 重发",
                )
                for r in pending
            ]
            return results
        except SmtpError:
            store.release(period, msg.key, pending, token)
            raise
        except (smtplib.SMTPResponseException, *TRANSIENT) as exc:
            code = getattr(exc, "smtp_code", 0)
            if isinstance(exc, smtplib.SMTPResponseException) and code >= 500:
                failures = {r: f"服务器拒绝（{code}）" for r in pending}
            else:
                refused = {r: (code or 421, str(exc).encode()) for r in pending}
        except OSError as exc:
            refused = {r: (421, str(exc).encode()) for r in pending}
        results += [Delivery(msg.key, r, "sent") for r in accepted]
        for r in pending:
            if r in failures or r in accepted:
                continue
            if r in refused and refused[r][0] >= 500:
                failures[r] = f"服务器拒收（{refused[r][0]}）"
            else:
                transient.append(r)
        if failures:
            store.release(period, msg.key, list(failures), token)
        results += [Delivery(msg.key, r, "failed", why) for r, why in failures.items()]
        if transient and attempt < retries:
            pending = transient
            time.sleep(delay * attempt)
            continue
        if transient:
            store.release(period, msg.key, transient, token)
        results += [Delivery(msg.key, r, "failed", f"重试{attempt}次仍未发出") for r in transient]
        pending = []
    return results
