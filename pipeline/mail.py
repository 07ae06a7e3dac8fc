"""E-mails for a period: the leaders' summary, each department's own status, reminders.

Messages are built by the ``email`` package from Jinja templates (HTML with inline styles and
a plain-text part). Dry run writes ``.eml`` files; sending goes over SMTP with a send log in
the store so that no message is sent twice.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import cast

from pipeline.report import IssueRow, Report, current_submissions

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
SMTP_POLICY = compat32.clone(linesep="\r\n")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# issues that are not a fault in the figures — the submission was late or missing, a level is
# below its standard (its status says so) — so nothing to 核实 and send again
NOT_TO_CORRECT = ("W-SUBMISSION-LATE", "W-SUBMISSION-MISSING", "W-LEVEL-NOT-MET")


@dataclass(frozen=True)
class Outgoing:
    """One message, ready to write or send."""

    key: str  # stable per period: leaders, department/<name>, reminder/<name>
    kind: str  # leaders, department, reminder
    to: tuple[str, ...]
    subject: str
    attachments: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Problem:
    """A recipient that cannot be written to (no address, malformed address)."""

    who: str
    message: str


def valid_address(addr: str) -> bool:
    return bool(_ADDRESS.match(addr))


def split_addresses(text: str) -> list[str]:
    return [a.strip() for a in re.split(r"[;,，；\s]+", text) if a.strip()]


def _attachment(path: Path, name: str | None = None) -> MIMEBase:
    """An attachment whose Chinese name shows in common clients: RFC 2231 ``filename*`` and
    an RFC 2047 ``name`` for older ones; text (the HTML report) says it is UTF-8."""
    name = name or path.name
    ctype = XLSX if path.suffix == ".xlsx" else mimetypes.guess_type(name)[0]
    maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
    part = MIMEBase(maintype, subtype)
    part.set_payload(path.read_bytes())
    encoders.encode_base64(part)
    encoded = " ".join(Header(name, "utf-8").encode(maxlinelen=76).split())
    charset = "; charset=utf-8" if maintype == "text" else ""
    part.replace_header("Content-Type", f'{maintype}/{subtype}{charset}; name="{encoded}"')
    part.add_header(
        "Content-Disposition", "attachment; filename*=utf-8''" + urllib.parse.quote(name, safe="")
    )
    return part


def compose(
    *,
    sender: str,
    sender_name: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[Path],
    date: dt.datetime,
    domain: str,
) -> bytes:
    """A multipart message: text and HTML alternatives, then the attachments."""
    outer = MIMEMultipart("mixed")
    outer["Subject"] = cast(str, Header(subject, "utf-8"))  # compat32 folds a Header itself
    outer["From"] = formataddr((Header(sender_name, "utf-8").encode(), sender))
    outer["To"] = ", ".join(to)
    outer["Date"] = format_datetime(date)
    outer["Message-ID"] = make_msgid(domain=domain)
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(html, "html", "utf-8"))
    outer.attach(body)
    for path in attachments:
        outer.attach(_attachment(path))
    return outer.as_bytes(policy=SMTP_POLICY)  # CRLF: smtplib sends bytes unchanged


def build_messages(
    report: Report,
    *,
    render: Callable[..., str],
    leaders: Sequence[str],
    department_emails: dict[str, str],
    workbook: Path,
    template_for: Callable[[str], Path | None],
    html_report: Path | None = None,
    sender: str,
    office: str,
    date: dt.datetime,
) -> tuple[list[Outgoing], list[Problem]]:
    """Every message of the period, and every recipient that cannot be written to. Each
    letter is dated ``date`` — the day it is built, not the period's last day. Leaders get
    the workbook and, when given, the HTML report (readable on a phone)."""
    out: list[Outgoing] = []
    problems: list[Problem] = []
    domain = sender.rsplit("@", 1)[-1] or "localhost"

    def add(
        key: str,
        kind: str,
        to: list[str],
        subject: str,
        template: str,
        files: list[Path],
        **ctx: object,
    ) -> None:
        bad = [a for a in to if not valid_address(a)]
        for a in bad:
            problems.append(Problem(key.split("/")[-1], f"邮箱地址“{a}”格式不正确，未发送"))
        good = [a for a in to if valid_address(a)]
        if not good:
            return
        context = {"report": report, "office": office, "written_on": date.date(), **ctx}
        raw = compose(
            sender=sender,
            sender_name=office,
            to=good,
            subject=subject,
            text=render(f"{template}.txt", **context),
            html=render(f"{template}.html", **context),
            attachments=files,
            date=date,
            domain=domain,
        )
        out.append(Outgoing(key, kind, tuple(good), subject, tuple(p.name for p in files), raw))

    period = report.period_label
    if not leaders:
        problems.append(
            Problem("县领导", "配置文件中没有县领导邮箱（[recipients] leaders），未生成")
        )
    add(
        "leaders",
        "leaders",
        list(leaders),
        f"{report.county}{period}民生实事进展情况",
        "email_leaders",
        [workbook, *([html_report] if html_report else [])],
        html_name=html_report.name if html_report else "",
    )
    status = current_submissions(report.submissions)
    for dept in (d.name for d in report.departments):
        addresses = split_addresses(department_emails.get(dept, ""))
        if not addresses:
            problems.append(Problem(dept, "配置文件中没有该单位的邮箱，未生成"))
            continue
        sub = status.get(dept)
        if sub is None or sub.status in ("missing", "unreadable"):
            template = template_for(dept)
            add(
                f"reminder/{dept}",
                "reminder",
                addresses,
                f"【提醒】请报送{period}民生实事进展情况（{dept}）",
                "email_reminder",
                [template] if template else [],
                department=dept,
                submission=sub,
                issues=[i for i in report.issues if i.department == dept],
                template_name=template.name if template else "",
            )
            continue
        mine = [r for r in report.indicators if r.lead_department == dept or r.department == dept]
        add(
            f"department/{dept}",
            "department",
            addresses,
            f"{period}民生实事进展情况反馈（{dept}）",
            "email_department",
            [],
            department=dept,
            submission=sub,
            indicators=mine,
            lagging=[r for r in mine if r.status in ("滞后", "严重滞后", "未达标")],
            issues=problems_to_correct(report, dept),
            late=sub.status == "late",
        )
    return out, problems


def problems_to_correct(report: Report, department: str) -> list[IssueRow]:
    """A department's errors and warnings about its figures, which its letter asks it to
    check and send again; lateness and levels below standard are said elsewhere."""
    return [
        i
        for i in report.issues
        if i.department == department
        and i.severity in ("error", "warning")
        and i.code not in NOT_TO_CORRECT
    ]


def write_outbox(messages: Sequence[Outgoing], outbox: Path) -> list[Path]:
    """Each message as an ``.eml`` file a mail client can open."""
    outbox.mkdir(parents=True, exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()
    paths = []
    for i, m in enumerate(messages, start=1):
        safe = re.sub(r'[\\/:*?"<>|\s]+', "_", m.key)
        path = outbox / f"{i:02d}_{safe}.eml"
        path.write_bytes(m.raw)
        paths.append(path)
    return paths
