"""E-mail: messages built from the stored run, a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import shutil
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.job import run_job
from pipeline.mailjob import prepare_emails, smtp_settings
from pipeline.sending import deliver
from pipeline.store import Store
from pipeline.workspace import open_workspace

SAMPLES = Path(__file__).resolve().parent.parent / "inputs"
DATE = dt.datetime(2022, 7, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what arrives and refuses addresses starting 'bad'."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


CONFIG = """\
county = "黟县"
office_contact = "黟县民生办"
[recipients]
leaders = ["leader1@yx.gov.cn", "leader2@yx.gov.cn"]
[recipients.departments]
"县交通运输局" = "jtj@yx.gov.cn"
"县住房和城乡建设局" = "zjj@yx.gov.cn"
"县科技商务经信局" = "ksj@yx.gov.cn"
"县司法局" = "bad-sfj@yx.gov.cn"
"县民政局" = "mzj@@yx"
[smtp]
host = "127.0.0.1"
sender = "msb@yx.gov.cn"
"""


@pytest.fixture
def workspace(tmp_path):
    """The shipped June samples, run once, with recipients configured."""
    shutil.copytree(SAMPLES / "2022-06", tmp_path / "inputs/2022-06")
    (tmp_path / "minsheng.toml").write_text(CONFIG, encoding="utf-8")
    ws = open_workspace(tmp_path)
    run_job(ws, "2022-06")
    return ws


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def send_first(workspace, cfg, password=None, **options):
    """Build the period's messages and deliver the first (the leaders'), as --send would."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    with Store(workspace.db) as store:
        return deliver(
            prepared.messages[:1],
            cfg=cfg,
            password=password,
            store=store,
            period="2022-06",
            delay=0,
            **options,
        )


def test_dry_run_writes_the_outbox(workspace):
    """Leaders, each addressed department and the missing one's reminder become .eml files;
    malformed addresses and departments without one are reported, not written to."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    keys = [m.key for m in prepared.messages]
    assert keys == [
        "leaders",
        "department/县交通运输局",
        "department/县住房和城乡建设局",
        "reminder/县科技商务经信局",
        "department/县司法局",
    ]
    assert [p.name for p in prepared.outbox] == [
        "01_leaders.eml",
        "02_department_县交通运输局.eml",
        "03_department_县住房和城乡建设局.eml",
        "04_reminder_县科技商务经信局.eml",
        "05_department_县司法局.eml",
    ]
    problems = {p.who: p.message for p in prepared.problems}
    assert problems["县民政局"] == "邮箱地址“mzj@@yx”格式不正确，未发送"
    assert problems["县卫健委"] == "配置文件中没有该单位的邮箱，未生成"


def test_leaders_message_has_the_workbook_with_a_chinese_name(workspace):
    """The attachments' names show in clients: RFC 2231 filename* and RFC 2047 name."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    leaders = prepared.messages[0]
    msg = parse(leaders.raw)
    assert msg["Subject"] == "黟县2022年6月民生实事进展情况"
    assert msg["To"] == "leader1@yx.gov.cn, leader2@yx.gov.cn"
    part, _page = list(msg.iter_attachments())
    name = prepared.report.workbook_name
    assert part.get_filename() == name
    assert part.get_content() == (workspace.period_outputs("2022-06") / name).read_bytes()
    raw_headers = leaders.raw.split(b"\n\n--")[0] + leaders.raw
    assert b"filename*=utf-8''" in raw_headers and b'name="=?utf-8?b?' in raw_headers
    text = msg.get_body(("plain",)).get_content()
    assert "现将黟县2022年20项民生实事截至2022年6月底的进展情况报告如下" in text
    assert "html" in msg.get_body(("html",)).get_content_subtype()


def test_department_message_lists_its_problems(workspace):
    """A department's message carries its indicators, what lags, and the problems found."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    road = parse(next(m.raw for m in prepared.messages if m.key == "department/县交通运输局"))
    text = road.get_body(("plain",)).get_content()
    assert "1.2 农村公路提质改造当年完工：严重滞后" in text
    justice = parse(next(m.raw for m in prepared.messages if m.key == "department/县司法局"))
    assert "逾期报送" in justice.get_body(("plain",)).get_content()


def test_reminder_carries_the_department_template(workspace):
    """The department that has not submitted gets a reminder with its own template."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    reminder = parse(next(m.raw for m in prepared.messages if m.kind == "reminder"))
    assert reminder["Subject"] == "【提醒】请报送2022年6月民生实事进展情况（县科技商务经信局）"
    (part,) = list(reminder.iter_attachments())
    assert part.get_filename().startswith("县科技商务经信局_2022-06_")


def test_send_delivers_once_and_reports_a_refused_recipient(workspace, smtp_server):
    """Messages arrive with the right recipients, subjects and workbook bytes; the refused
    recipient is reported and the rest delivered; a second send delivers nothing new."""
    inbox, port = smtp_server
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    cfg = smtp_settings(workspace, "127.0.0.1", port)
    with Store(workspace.db) as store:
        results = deliver(
            prepared.messages, cfg=cfg, password=None, store=store, period="2022-06", delay=0
        )
    assert [(r.key, r.recipient, r.status) for r in results if r.status != "sent"] == [
        ("department/县司法局", "bad-sfj@yx.gov.cn", "failed")
    ]
    assert len(inbox.messages) == 4
    rcpts, leaders = inbox.messages[0]
    assert rcpts == ["leader1@yx.gov.cn", "leader2@yx.gov.cn"]
    assert leaders["Subject"] == "黟县2022年6月民生实事进展情况"
    part = next(leaders.iter_attachments())  # the workbook first, then the HTML report
    workbook = workspace.period_outputs("2022-06") / prepared.report.workbook_name
    assert part.get_content() == workbook.read_bytes()
    with Store(workspace.db) as store:
        again = deliver(
            prepared.messages, cfg=cfg, password=None, store=store, period="2022-06", delay=0
        )
        assert len(inbox.messages) == 4
        assert {r.status for r in again if r.recipient != "bad-sfj@yx.gov.cn"} == {"skipped"}
        forced = deliver(
            prepared.messages[:1],
            cfg=cfg,
            password=None,
            store=store,
            period="2022-06",
            resend=True,
            delay=0,
        )
    assert [r.status for r in forced] == ["sent", "sent"] and len(inbox.messages) == 5


def test_unreachable_server_is_retried_then_reported(workspace):
    """No server: each message is retried a bounded number of times and reported failed."""
    cfg = smtp_settings(workspace, "127.0.0.1", _free_port())
    results = send_first(workspace, cfg, retries=2, timeout=2)
    assert [(r.status, r.detail) for r in results] == [("failed", "重试2次仍未发出")] * 2


def test_email_cli_dry_run_and_send(workspace, smtp_server):
    """`minsheng email` prints recipients and attachments; --send reports each delivery."""
    inbox, port = smtp_server
    runner = CliRunner()
    dry = runner.invoke(cli, ["email", "-p", "2022-06", "-w", str(workspace.root)])
    assert dry.exit_code == 0, dry.output
    assert "leader1@yx.gov.cn, leader2@yx.gov.cn" in dry.output
    assert "（未发送：试运行。加 --send 发送）" in dry.output
    assert "县民政局：邮箱地址“mzj@@yx”格式不正确，未发送" in dry.output
    assert inbox.messages == []
    sent = runner.invoke(
        cli,
        ["email", "-p", "2022-06", "-w", str(workspace.root), "--send", "--smtp-port", str(port)],
    )
    assert sent.exit_code == 1  # one recipient refused
    assert "发送失败 bad-sfj@yx.gov.cn" in sent.output
    assert len(inbox.messages) == 4


def test_email_before_run_is_refused(tmp_path):
    """Asking for e-mails of a period never run says to run it first."""
    result = CliRunner().invoke(cli, ["email", "-p", "2022-06", "-w", str(tmp_path)])
    assert result.exit_code == 1
    assert "2022-06 尚未汇总，请先运行 minsheng run --period 2022-06" in result.output


def test_login_uses_the_password_from_the_environment(workspace, monkeypatch):
    """With a user configured, the password comes from the environment variable, and the
    server sees that login before the messages."""
    from dataclasses import replace

    from aiosmtpd.smtp import AuthResult

    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret")

    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        monkeypatch.setenv("MINSHENG_SMTP_PASSWORD", "s3cret")
        from pipeline.mailjob import smtp_password

        cfg = replace(smtp_settings(workspace, "127.0.0.1", port), user="msb")
        results = send_first(workspace, cfg, password=smtp_password(cfg))
    finally:
        controller.stop()
    assert logins == [("msb", "s3cret")]
    assert [r.status for r in results] == ["sent", "sent"]


def test_module_entry_point():
    """`python -m pipeline --help` works like the console script."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("用法：minsheng [选项] 命令 [参数]...")


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1, trusted through SSL_CERT_FILE."""
    import subprocess

    from conftest import require

    openssl = require("openssl", "a certificate for the TLS mail tests")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_starttls_and_ssl(workspace, tls_files, monkeypatch, security):
    """STARTTLS and implicit TLS both deliver, with the server's certificate verified."""
    import ssl
    from dataclasses import replace

    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    port = _free_port()
    options = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    try:
        cfg = replace(smtp_settings(workspace, "127.0.0.1", port), security=security)
        results = send_first(workspace, cfg)
    finally:
        controller.stop()
    assert [r.status for r in results] == ["sent", "sent"]
    assert len(inbox.messages) == 1


def test_leaders_also_get_the_html_report(workspace):
    """Leaders get the HTML report beside the workbook (they only got the .xlsx): the same
    self-contained page as in outputs/, as UTF-8 HTML, and the letter says it opens on a
    phone."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    msg = parse(prepared.messages[0].raw)
    _, page = list(msg.iter_attachments())
    name = "黟县2022年民生实事进展情况（2022-06）.html"
    assert (page.get_filename(), page.get_content_type(), page.get_content_charset()) == (
        name,
        "text/html",
        "utf-8",
    )
    assert page.get_content() == (workspace.period_outputs("2022-06") / name).read_text("utf-8")
    assert f"附件《{name}》为网页版，手机上可直接打开" in msg.get_body(("plain",)).get_content()


def test_every_letter_is_dated_the_day_it_is_built(workspace):
    """Letters, reminders included, carry the date they are written (all said 2022年6月30日,
    the period's last day, though files arrived up to 07-08)."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    assert {m.kind for m in prepared.messages} == {"leaders", "department", "reminder"}
    for m in prepared.messages:
        msg = parse(m.raw)
        for body in (msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()):
            assert "2022年7月10日" in body and "2022年6月30日" not in body, m.key


def test_late_only_department_is_not_asked_to_resubmit(workspace):
    """县司法局 was only late: its letter says so and asks for timeliness, not to 核实后重新报送
    (its lateness was listed as a problem to correct)."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    justice = parse(next(m.raw for m in prepared.messages if m.key == "department/县司法局"))
    for body in (
        justice.get_body(("plain",)).get_content(),
        justice.get_body(("html",)).get_content(),
    ):
        assert "重新报送" not in body
        assert "收到，晚于报送截止时间，请今后按时报送" in body


def test_milestone_lines_say_their_state_once(workspace):
    """A milestone line reads ``…：已完成`` (it read ``已完成，已完成``)."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    road = parse(next(m.raw for m in prepared.messages if m.key == "department/县交通运输局"))
    text = road.get_body(("plain",)).get_content()
    assert "1.8 健全农村公路路长制县、乡、村三级管理体系：已完成\n" in text
    assert "1.9 完成乡村道路专管员招募、培训、上岗：推进中\n" in text
    assert "已完成，已完成" not in text and "推进中，推进中" not in text


def test_leaders_task_lines_explain_their_status(workspace):
    """The leaders' task lines give completion against 序时 and the indicator that drives
    the status, and no 0.0 % for milestone tasks."""
    prepared = prepare_emails(workspace, "2022-06", date=DATE)
    text = parse(prepared.messages[0].raw).get_body(("plain",)).get_content()
    assert (
        "1. “四好农村路”建设（县交通运输局）：完成 37.7%（序时 50.0%）。"
        "严重滞后：1.2 农村公路提质改造当年完工 完成 18.8%，序时 50.0%"
    ) in text
    assert "16. 老年人门诊就医便民服务（县卫健委）：已完成 0/1 个节点。推进中：" in text


def test_only_faults_in_the_figures_are_to_be_resubmitted(workspace):
    """A department's letter asks it to 核实后重新报送 only for faults in its figures: not for
    lateness, nor for a level below its standard (县卫健委's 4.1 is 未达标, already listed
    among the lagging items)."""
    from pipeline.mail import problems_to_correct

    report = prepare_emails(workspace, "2022-06", date=DATE).report
    health = [i.code for i in report.issues if i.department == "县卫健委"]
    assert "W-LEVEL-NOT-MET" in health
    assert problems_to_correct(report, "县卫健委") == []
    assert problems_to_correct(report, "县司法局") == []
    kept = {i.code for d in report.departments for i in problems_to_correct(report, d.name)}
    assert not kept & {"W-SUBMISSION-LATE", "W-SUBMISSION-MISSING", "W-LEVEL-NOT-MET"}
