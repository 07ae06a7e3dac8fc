"""A period's run over a folder: resubmissions, co-units, history, checks, statuses, CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from builders import SheetSpec, department_sheet, write_xlsx

from pipeline.job import run_job
from pipeline.workspace import open_workspace

HEADER = ["指标名称", "本月完成", "累计完成", "进展情况", "滞后原因及下步措施"]


def submit(
    ws_root: Path,
    period: str,
    name: str,
    unit: str | None,
    rows: list[list[object]],
    received: str | None = None,
) -> Path:
    folder = ws_root / "inputs" / period
    folder.mkdir(parents=True, exist_ok=True)
    path = write_xlsx(folder / name, [department_sheet(unit, rows, header=HEADER)])
    if received:
        register = folder / "收文登记.csv"
        old = register.read_text(encoding="utf-8") if register.exists() else "文件名,收到时间\n"
        register.write_text(old + f"{name},{received}\n", encoding="utf-8")
    return path


def run(ws_root: Path, period: str):
    ws = open_workspace(ws_root)
    return run_job(ws, period)


def table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def obs(ws_root: Path, period: str) -> dict[str, dict[str, str]]:
    return {r["indicator_id"]: r for r in table(ws_root / "outputs" / period / "observations.csv")}


def issue_codes(ws_root: Path, period: str, prefix: str = "") -> list[tuple[str, str]]:
    rows = table(ws_root / "outputs" / period / "issues.csv")
    return [
        (r["code"], r["indicator_id"])
        for r in rows
        if r["code"].startswith(prefix) and r["code"] != "W-SUBMISSION-MISSING"
    ]


def test_resubmission_newest_wins_and_older_is_superseded(tmp_path):
    """住建局's corrected file arrives later: its figures count, the first is superseded."""
    submit(
        tmp_path,
        "2022-06",
        "住建局6月进度.xlsx",
        None,
        [["改造城镇老旧小区", None, 1]],
        "2022-07-03 16:00",
    )
    submit(
        tmp_path,
        "2022-06",
        "住建局6月进度（修改）.xlsx",
        None,
        [["改造城镇老旧小区", None, 2]],
        "2022-07-04 09:30",
    )
    run(tmp_path, "2022-06")
    assert obs(tmp_path, "2022-06")["2.1"]["value"] == "2"
    subs = [
        r
        for r in table(tmp_path / "outputs/2022-06/submissions.csv")
        if r["department"] == "县住房和城乡建设局"
    ]
    assert [(r["status"], r["files"], r["received_at"]) for r in subs] == [
        ("superseded", "住建局6月进度.xlsx", "2022-07-03 16:00"),
        ("on_time", "住建局6月进度（修改）.xlsx", "2022-07-04 09:30"),
    ]


def test_lock_files_and_thumbnails_are_ignored(tmp_path):
    """~$ lock files, Thumbs.db and .DS_Store are not submissions and raise no issue."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    folder = tmp_path / "inputs/2022-06"
    (folder / "~$司法局.xlsx").write_bytes(b"\x00lock")
    (folder / "Thumbs.db").write_bytes(b"\x00")
    (folder / ".DS_Store").write_bytes(b"\x00")
    result = run(tmp_path, "2022-06")
    assert [r.source.name for r in result.data.files] == ["司法局.xlsx"]
    codes = issue_codes(tmp_path, "2022-06")
    assert [c for c in codes if c[0] != "W-INDICATOR-MISSING"] == [("W-SUBMISSION-LATE", "")]


def test_co_responsible_units_are_never_added(tmp_path):
    """卫健委 (lead) and 妇联 both report 6.2: the lead's figure counts, the other is an issue."""
    submit(tmp_path, "2022-06", "卫健委.xlsx", None, [["农村妇女宫颈癌筛查", 150, 900]])
    submit(
        tmp_path,
        "2022-06",
        "妇联.xlsx",
        None,
        [["农村妇女宫颈癌筛查", 100, 950], ["农村妇女乳腺癌筛查", 100, 800]],
    )
    run(tmp_path, "2022-06")
    rows = obs(tmp_path, "2022-06")
    assert (rows["6.2"]["value"], rows["6.2"]["department"]) == ("900", "县卫健委")
    assert (rows["6.3"]["value"], rows["6.3"]["department"]) == ("800", "县妇联")
    codes = issue_codes(tmp_path, "2022-06", "W-")
    assert ("W-COUNIT-DIFFERS", "6.2") in codes
    assert ("W-LEAD-MISSING", "6.3") in codes


def test_monthly_only_submission_gets_the_cumulative(tmp_path):
    """A department sending only 本月完成: last month's cumulative + this month."""
    submit(tmp_path, "2022-05", "司法局.xlsx", None, [["办理法律援助案件", 10, 45]])
    run(tmp_path, "2022-05")
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 12, None]])
    run(tmp_path, "2022-06")
    row = obs(tmp_path, "2022-06")["18.1"]
    assert (row["value"], row["monthly_value"], row["progress"]) == ("57", "12", "0.5182")


def test_monthly_only_without_history_is_an_issue(tmp_path):
    """No last month to add to: no cumulative is invented."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 12, None]])
    run(tmp_path, "2022-06")
    assert "18.1" not in obs(tmp_path, "2022-06")
    assert ("W-NO-PREVIOUS", "18.1") in issue_codes(tmp_path, "2022-06")


def test_checks_across_months(tmp_path):
    """Cumulative falling, a jump, inconsistent 本月/累计, over target ×3, rate >100 %,
    a level under its comparator: each an issue with its stable code."""
    submit(
        tmp_path,
        "2022-05",
        "交通局.xlsx",
        None,
        [
            ["农村公路提质改造工程", 0.5, 1.0],
            ["农村公路提质改造当年完工", 0.1, 0.1],
            ["农村公路列养率", None, "100%"],
        ],
    )
    submit(tmp_path, "2022-05", "住建局.xlsx", None, [["改造涉及住户", 10, 40]])
    run(tmp_path, "2022-05")
    submit(
        tmp_path,
        "2022-06",
        "交通局.xlsx",
        None,
        [
            ["农村公路提质改造工程", 0.1, 0.8],  # falls
            ["农村公路提质改造当年完工", 0.4, 0.5],  # jump ×5 (and 0.1 + 0.4 = 0.5 is consistent)
            ["农村公路列养率", None, "120%"],  # rate out of range
            ["农村公路养护工程比例", None, "4%"],  # level below ≥ 5 %
        ],
    )
    submit(
        tmp_path,
        "2022-06",
        "住建局.xlsx",
        None,
        [
            ["改造涉及住户", 10, 60],  # 40 + 10 ≠ 60
            ["改造房屋总建筑面积", None, 17900],  # 17900 万平方米: over target ×3
        ],
    )
    run(tmp_path, "2022-06")
    codes = issue_codes(tmp_path, "2022-06")
    for expected in [
        ("W-CUM-FALLS", "1.1"),
        ("W-JUMP", "1.2"),
        ("E-RATE-RANGE", "1.3"),
        ("W-LEVEL-NOT-MET", "1.4"),
        ("W-CUM-MISMATCH", "2.3"),
        ("E-OVER-TARGET", "2.2"),
        ("W-CUM-FALLS", "1.1"),
    ]:
        assert expected in codes
    rows = obs(tmp_path, "2022-06")
    assert "1.3" not in rows and "2.2" not in rows  # refused values are absent, with a reason
    assert rows["1.4"]["status"] == "未达标"


@pytest.mark.parametrize(
    ("value", "period", "status"),
    [
        (110, "2022-06", "已完成"),
        (55, "2022-06", "正常"),
        (40, "2022-06", "滞后"),  # 36.4 % against 50 %: 13.6 points behind
        (20, "2022-06", "严重滞后"),  # 18.2 % against 50 %: 31.8 points behind
        (0, "2022-01", "未开工"),  # 8.3 % expected: within the 10-point gap
        (None, "2022-06", "未报送"),
    ],
)
def test_count_statuses(tmp_path, value, period, status):
    """Completion against 序时进度 gives each status with the default 10/30-point gaps."""
    if value is not None:
        submit(tmp_path, period, "司法局.xlsx", None, [["办理法律援助案件", None, value]])
    else:
        (tmp_path / "inputs" / period).mkdir(parents=True)
    result = run(tmp_path, period)
    row = next(r for r in result.report.indicators if r.id == "18.1")
    assert row.status == status


def test_not_started_for_three_months_is_seriously_behind(tmp_path):
    """Zero for three months running is 严重滞后 even before the gap says so."""
    for period in ("2022-01", "2022-02", "2022-03"):
        submit(tmp_path, period, "司法局.xlsx", None, [["办理法律援助案件", 0, 0]])
        result = run(tmp_path, period)
    row = next(r for r in result.report.indicators if r.id == "18.1")
    assert row.status == "严重滞后"


def test_level_and_milestone_statuses(tmp_path):
    """Levels are 达标/未达标 by comparator; milestones carry their state."""
    submit(
        tmp_path,
        "2022-06",
        "医保局.xlsx",
        None,
        [
            ["基本医疗保险参保率", None, "95%"],  # must exceed 95 %
            ["大病保险合规费用报销比例", None, "61%"],
            ["一站式结算", None, "推进中"],
        ],
    )
    result = run(tmp_path, "2022-06")
    status = {r.id: r.status for r in result.report.indicators if r.id.startswith("8.")}
    assert status == {
        "8.1": "未达标",
        "8.2": "未报送",
        "8.3": "未报送",
        "8.4": "达标",
        "8.5": "推进中",
    }
    task = next(t for t in result.report.tasks if t.id == 8)
    assert task.status == "未达标"  # the worst of its indicators (a shortfall beats a gap)


def test_reporting_rate_and_timeliness(tmp_path):
    """On time by the 5th of the next month, late after; the rest are missing."""
    submit(
        tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 1, 55]], "2022-07-05 17:00"
    )
    submit(
        tmp_path,
        "2022-06",
        "残联.xlsx",
        None,
        [["困难精神残疾人药费补助", 1, 70]],
        "2022-07-06 08:00",
    )
    result = run(tmp_path, "2022-06")
    h = result.report.headline
    assert (h.departments_submitted, h.departments_on_time, h.departments_late) == (2, 1, 1)
    assert h.reporting_rate == 0.125
    status = {
        r["department"]: r["status"] for r in table(tmp_path / "outputs/2022-06/submissions.csv")
    }
    assert status["县司法局"] == "on_time" and status["县残联"] == "late"
    assert status["县民政局"] == "missing"
    assert ("W-SUBMISSION-LATE", "") in issue_codes(tmp_path, "2022-06")


def test_a_receipt_time_with_an_offset_is_on_this_computers_clock(monkeypatch, tmp_path):
    """收文登记 times written with an offset (exported from a system: …+08:00, …Z) are
    compared with the deadline on this computer's clock, as file times are; the run used to
    stop comparing them with the naive deadline."""
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        submit(
            tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 1, 55]],
            "2022-07-05T17:00:00+08:00",
        )  # fmt: skip
        submit(  # 16:30 in London is half past midnight on the 6th in Beijing: late
            tmp_path, "2022-06", "残联.xlsx", None, [["困难精神残疾人药费补助", 1, 70]],
            "2022-07-05T16:30:00Z",
        )  # fmt: skip
        run(tmp_path, "2022-06")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    rows = {r["department"]: r for r in table(tmp_path / "outputs/2022-06/submissions.csv")}
    assert (rows["县司法局"]["status"], rows["县残联"]["status"]) == ("on_time", "late")
    assert rows["县司法局"]["received_at"].startswith("2022-07-05")
    assert rows["县残联"]["received_at"].startswith("2022-07-06")


def test_rerun_gives_identical_csv_files_and_replaces_the_period(tmp_path):
    """Same inputs → same bytes; a re-run replaces the period's history, not other periods."""
    submit(
        tmp_path, "2022-05", "司法局.xlsx", None, [["办理法律援助案件", 10, 45]], "2022-06-03 10:00"
    )
    run(tmp_path, "2022-05")
    submit(
        tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]], "2022-07-03 10:00"
    )
    run(tmp_path, "2022-06")
    out = tmp_path / "outputs/2022-06"
    first = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    run(tmp_path, "2022-06")
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == first
    from pipeline.store import MIGRATIONS, Store

    with Store(tmp_path / "minsheng.db") as store:
        assert [o.value for o in store.history(indicator_id="18.1")] == [45.0, 55.0]
        assert store.migrations() == [name for name, _ in MIGRATIONS]  # applied once each


def test_unreadable_file_is_reported_and_the_run_completes(tmp_path):
    """A broken file is a file-level issue and its department is `unreadable`."""
    folder = tmp_path / "inputs/2022-06"
    folder.mkdir(parents=True)
    whole = submit(tmp_path, "2022-06", "交通局6月.xlsx", None, [["路长制", None, "已完成"]])
    whole.write_bytes(whole.read_bytes()[:1500])  # truncated in transfer
    (folder / "民政局.xlsx").write_bytes(b"")
    run(tmp_path, "2022-06")
    status = {
        r["department"]: r["status"] for r in table(tmp_path / "outputs/2022-06/submissions.csv")
    }
    assert status["县交通运输局"] == "unreadable" and status["县民政局"] == "unreadable"
    codes = {c for c, _ in issue_codes(tmp_path, "2022-06")}
    assert {"E-FILE-UNREADABLE", "E-FILE-EMPTY"} <= codes


def test_a_file_that_cannot_be_opened_is_reported_and_the_run_completes(monkeypatch, tmp_path):
    """A file open in Excel on Windows (locked) or without read permission: one file-level
    issue telling the office what to do, its department `unreadable`, the run goes on."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    locked = submit(tmp_path, "2022-06", "残联.xlsx", None, [["困难精神残疾人药费补助", 1, 70]])
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == locked.name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    run(tmp_path, "2022-06")
    status = {
        r["department"]: r["status"] for r in table(tmp_path / "outputs/2022-06/submissions.csv")
    }
    assert status["县残联"] == "unreadable" and status["县司法局"] in ("on_time", "late")
    issues = [r for r in table(tmp_path / "outputs/2022-06/issues.csv") if r["file"] == locked.name]
    assert [r["code"] for r in issues if r["code"] != "I-INDICATOR-MISSING"] == [
        "E-FILE-UNREADABLE"
    ]
    assert "可能正在被 Excel 等程序打开" in issues[0]["message"]
    assert obs(tmp_path, "2022-06")["18.1"]["value"] == "55"


def test_what_is_hashed_is_what_is_read(monkeypatch, tmp_path):
    """A file saved over while the run goes (the department resends it into the same name)
    is read as it was when hashed: the stored hash and the figures describe the same bytes."""
    import hashlib
    import json

    import pipeline.run

    path = submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    csv_path = tmp_path / "inputs/2022-06/残联.csv"
    csv_path.write_text("指标名称,本月完成,累计完成\n困难精神残疾人药费补助,1,70\n", "utf-8")
    first = {p: p.read_bytes() for p in (path, csv_path)}
    real = pipeline.run.discover

    def discover_then_resent(*args, **kwargs):
        found = real(*args, **kwargs)
        submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 99]])
        csv_path.write_text("指标名称,本月完成,累计完成\n困难精神残疾人药费补助,1,99\n", "utf-8")
        return found

    monkeypatch.setattr(pipeline.run, "discover", discover_then_resent)
    run(tmp_path, "2022-06")
    assert all(p.read_bytes() != data for p, data in first.items())
    assert obs(tmp_path, "2022-06")["18.1"]["value"] == "55"
    assert obs(tmp_path, "2022-06")["9.1"]["value"] == "70"
    manifest = json.loads((tmp_path / "outputs/2022-06/manifest.json").read_text("utf-8"))
    sha = {i["name"]: i["sha256"] for i in manifest["inputs"]}
    assert {p.name: hashlib.sha256(data).hexdigest() for p, data in first.items()} == {
        name: sha[name] for name in ("司法局.xlsx", "残联.csv")
    }


def test_discover_keeps_what_it_read_within_bounds(monkeypatch, tmp_path):
    """The bytes kept for the reader stop at KEEP_TOTAL a folder; the rest is read again."""
    import pipeline.discover as discover_module

    for n in range(5):
        submit(tmp_path, "2022-06", f"司法局{n}.xlsx", None, [["办理法律援助案件", 10, n]])
    size = (tmp_path / "inputs/2022-06/司法局0.xlsx").stat().st_size
    monkeypatch.setattr(discover_module, "KEEP_TOTAL", size * 2 + size // 2)
    contents: dict[str, bytes] = {}
    found, _ = discover_module.discover(tmp_path / "inputs/2022-06", [], 2022, contents)
    assert len(found) == 5 and sorted(contents) == ["司法局0.xlsx", "司法局1.xlsx"]


def test_csv_contract_columns(tmp_path):
    """The three CSV files carry exactly the contract's header rows, UTF-8 with a BOM (Excel
    on Chinese Windows opened them garbled without one); submissions.csv has a Chinese label
    beside each status code."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    run(tmp_path, "2022-06")
    out = tmp_path / "outputs/2022-06"
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in out.glob("*.csv"))
    heads = {p.name: p.read_text(encoding="utf-8-sig").splitlines()[0] for p in out.glob("*.csv")}
    assert heads == {
        "observations.csv": "period,department,task_id,indicator_id,value,monthly_value,target,"
        "unit,progress,expected_progress,status,source_file,source_sheet,source_cell",
        "issues.csv": "severity,code,department,file,sheet,cell,indicator_id,message",
        "submissions.csv": "department,status,files,received_at,status_label",
    }
    labels = {
        r["department"]: (r["status"], r["status_label"]) for r in table(out / "submissions.csv")
    }
    assert labels["县司法局"] in (("on_time", "按时报送"), ("late", "逾期报送"))
    assert labels["县残联"] == ("missing", "未报送")
    row = obs(tmp_path, "2022-06")["18.1"]
    assert row == {
        "period": "2022-06",
        "department": "县司法局",
        "task_id": "18",
        "indicator_id": "18.1",
        "value": "55",
        "monthly_value": "10",
        "target": "110",
        "unit": "件",
        "progress": "0.5",
        "expected_progress": "0.5",
        "status": "正常",
        "source_file": "司法局.xlsx",
        "source_sheet": "进度表",
        "source_cell": "C3",
    }


def test_sheet_spec_unused_import_guard():
    """The builder's SheetSpec is importable (guards the shared fixture module)."""
    assert SheetSpec("x", []).rows == []


def test_store_upgrades_an_older_database(tmp_path):
    """A database made before the send log gains it through the recorded migration."""
    import sqlite3

    from pipeline.store import MIGRATIONS, Store

    db = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for statement in filter(str.strip, MIGRATIONS[0][1].split(";")):
        db.execute(statement)
    db.execute("INSERT INTO migrations VALUES ('0001_initial', '2022-06-01T00:00:00')")
    db.close()
    with Store(tmp_path / "old.db") as store:
        assert store.migrations() == [
            "0001_initial",
            "0002_send_log",
            "0003_county",
            "0004_runs_index",
            "0005_send_states",
        ]
        assert store.sent("2022-06") == set()
        plan = store.db.execute(
            "EXPLAIN QUERY PLAN SELECT DISTINCT period FROM runs WHERE county = ?", ("黟县",)
        ).fetchall()
        assert "runs_county_period" in str(plan)  # a county's periods: not a scan of every run


def test_rerun_keeps_templates_and_outbox(tmp_path):
    """`templates` and `email` write into outputs/P/; a later `run` keeps what they wrote."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    run(tmp_path, "2022-06")
    out = tmp_path / "outputs/2022-06"
    for sub in ("templates", "outbox"):
        (out / sub).mkdir()
        (out / sub / "kept.txt").write_text(sub, encoding="utf-8")
    run(tmp_path, "2022-06")
    assert [
        (out / s / "kept.txt").read_text(encoding="utf-8") for s in ("templates", "outbox")
    ] == ["templates", "outbox"]


def test_outputs_folder_is_readable_by_the_office(tmp_path):
    """The period folder gets the usual permissions, not the private 0700 of a temp folder."""
    import os

    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    old = os.umask(0o022)
    try:
        run(tmp_path, "2022-06")
    finally:
        os.umask(old)
    assert (tmp_path / "outputs/2022-06").stat().st_mode & 0o777 == 0o755


def test_progress_is_reported_per_file(tmp_path):
    """A progress callback hears of each file read, against the number of candidate files."""
    from pipeline.job import run_job as job

    for name in ("司法局.xlsx", "残联.xlsx"):
        submit(tmp_path, "2022-06", name, None, [["办理法律援助案件", 10, 55]])
    (tmp_path / "inputs/2022-06/Thumbs.db").write_bytes(b"\0")
    seen: list[tuple[int, int]] = []
    job(open_workspace(tmp_path), "2022-06", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]


def test_a_failed_render_keeps_the_store_and_the_outputs_as_they_were(monkeypatch, tmp_path):
    """The store commits only when the outputs are complete: a render that fails leaves the
    previous period's outputs and stored figures, not new figures behind old reports."""
    import pipeline.render
    from pipeline.store import Store

    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    run(tmp_path, "2022-06")
    out = tmp_path / "outputs/2022-06"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 12, 60]])

    def broken(*args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(pipeline.render, "render_all", broken)
    with pytest.raises(RuntimeError):
        run(tmp_path, "2022-06")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    with Store(tmp_path / "minsheng.db") as store:
        assert [o.value for o in store.history(indicator_id="18.1")] == [55.0]
        assert len(store.db.execute("SELECT * FROM runs").fetchall()) == 1


def test_an_input_error_is_not_called_an_output_error(monkeypatch, tmp_path):
    """An OSError about an input file is an input problem; one about the outputs folder is
    reported as the outputs folder's problem (both a message, not a traceback)."""
    import pipeline.render
    from pipeline.errors import InputError, OutputError

    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    inputs = tmp_path / "inputs/2022-06/司法局.xlsx"

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(inputs))

    monkeypatch.setattr(pipeline.render, "render_all", unreadable)
    with pytest.raises(InputError, match=r"无法读取 .*司法局\.xlsx"):
        run(tmp_path, "2022-06")

    def disk_full(report, out, ws):
        raise OSError(28, "No space left on device", str(out / "report.html"))

    monkeypatch.setattr(pipeline.render, "render_all", disk_full)
    with pytest.raises(OutputError, match="无法写入输出目录"):
        run(tmp_path, "2022-06")
    assert not list((tmp_path / "outputs").glob(".2022-06*"))


def test_a_locked_receipts_register_is_a_warning(monkeypatch, tmp_path):
    """收文登记.csv open in Excel: the run goes on, judging arrival by the files' times."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]], "2022-07-03")
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "收文登记.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    run(tmp_path, "2022-06")
    issues = table(tmp_path / "outputs/2022-06/issues.csv")
    assert [(r["code"], r["file"]) for r in issues if r["code"] == "W-RECEIPT-UNREADABLE"] == [
        ("W-RECEIPT-UNREADABLE", "收文登记.csv")
    ]
    assert obs(tmp_path, "2022-06")["18.1"]["value"] == "55"


def test_files_other_commands_write_during_a_run_are_kept(monkeypatch, tmp_path):
    """`minsheng email` writing to outbox/ while a run renders: the swap keeps its file."""
    import pipeline.render

    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    run(tmp_path, "2022-06")
    outbox = tmp_path / "outputs/2022-06/outbox"
    outbox.mkdir()
    (outbox / "early.eml").write_text("before the run", encoding="utf-8")
    real = pipeline.render.render_all

    def render_while_emailing(report, out, ws):
        (outbox / "during.eml").write_text("during the run", encoding="utf-8")
        (outbox / "early.eml").write_text("rewritten during the run", encoding="utf-8")
        return real(report, out, ws)

    monkeypatch.setattr(pipeline.render, "render_all", render_while_emailing)
    run(tmp_path, "2022-06")
    assert (outbox / "during.eml").read_text(encoding="utf-8") == "during the run"
    assert (outbox / "early.eml").read_text(encoding="utf-8") == "rewritten during the run"


def test_check_and_targets_say_a_locked_file_is_locked(monkeypatch, tmp_path):
    """`minsheng check` on a file open in Excel reports it; a locked target table is a
    message, not a traceback."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    path = submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    real = Path.open

    def locked_open(self: Path, *args, **kwargs):
        if self.name in (path.name, "目标.xlsx"):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    (tmp_path / "目标.xlsx").write_bytes(b"")
    monkeypatch.setattr(Path, "open", locked_open)
    checked = CliRunner().invoke(cli, ["check", str(path), "-w", str(tmp_path)])
    assert "E-FILE-UNREADABLE" in checked.output and "可能正在被 Excel" in checked.output
    targets = CliRunner().invoke(cli, ["targets", "--targets", str(tmp_path / "目标.xlsx")])
    assert targets.exit_code == 1 and "可能正在被 Excel 打开" in targets.output


def test_a_sub_folder_does_not_turn_a_county_into_a_city(tmp_path):
    """A county's month with an 附件 folder (or an unpacked zip) beside its files: the files
    are read as the county's, and the folder's files are named as not read."""
    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    extra = tmp_path / "inputs/2022-06/附件"
    extra.mkdir()
    (extra / "照片.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    (extra / "残联.xlsx").write_bytes((tmp_path / "inputs/2022-06/司法局.xlsx").read_bytes())
    result = run(tmp_path, "2022-06")
    assert result.report is not None and result.comparison is None
    assert obs(tmp_path, "2022-06")["18.1"]["value"] == "55"
    issues = table(tmp_path / "outputs/2022-06/issues.csv")
    unread = [r for r in issues if r["code"] == "W-SUBFOLDER-IGNORED"]
    assert [r["file"] for r in unread] == ["附件/"]
    assert "2 个文件未读取" in unread[0]["message"]


def test_the_run_reports_what_the_store_gives_back(tmp_path):
    """`run` assembles its report from what it has just stored without reading it back;
    `email` later rebuilds it from the store: the two are the same report, value for value
    and type for type (repr), for the shipped samples — also May re-run after June."""
    import shutil

    from pipeline.assemble import report_from_store
    from pipeline.store import Store

    samples = Path(__file__).resolve().parent.parent / "inputs"
    for period in ("2022-05", "2022-06"):
        shutil.copytree(samples / period, tmp_path / "inputs" / period)
    ws = open_workspace(tmp_path)
    for period in ("2022-05", "2022-06", "2022-05"):
        report = run_job(ws, period).report
        with Store(ws.db) as store:
            again = report_from_store(store, period, ws.targets, ws.config)
        assert report is not None and report.indicators and report.issues
        assert repr(report) == repr(again)


def test_a_migration_applied_meanwhile_by_another_process_is_not_applied_again(
    monkeypatch, tmp_path
):
    """Two processes opening an older database at once: the one that waited for the other's
    migration sees it recorded and goes on (it failed on 'index already exists')."""
    import sqlite3
    import threading

    import pipeline.store as store_module

    every = list(store_module.MIGRATIONS)
    monkeypatch.setattr(store_module, "MIGRATIONS", every[:3])
    store_module.Store(tmp_path / "x.db").close()  # as the previous release left it
    monkeypatch.setattr(store_module, "MIGRATIONS", every)
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other process is migrating
    failures: list[BaseException] = []

    def open_store() -> None:
        try:
            store_module.Store(tmp_path / "x.db").close()
        except BaseException as exc:  # reported below
            failures.append(exc)

    waiting = threading.Thread(target=open_store)
    waiting.start()
    waiting.join(0.5)  # it has read the migrations done and waits for the lock
    name, sql = every[3]
    other.execute(sql)
    other.execute("INSERT INTO migrations VALUES (?, ?)", (name, "2026-11-28T19:00:00"))
    other.execute("COMMIT")
    waiting.join(30)
    assert not waiting.is_alive() and failures == []


def test_the_progress_total_counts_files_only(tmp_path):
    """The files a progress bar counts: sub-folders' too, not lock files, FIFOs or dead links."""
    import os

    from pipeline.job import _candidates

    submit(tmp_path, "2022-06", "司法局.xlsx", None, [["办理法律援助案件", 10, 55]])
    folder = tmp_path / "inputs/2022-06"
    (folder / "附件").mkdir()
    (folder / "附件/说明.docx").write_bytes(b"PK")
    (folder / "~$司法局.xlsx").write_bytes(b"")
    (folder / "dead.xlsx").symlink_to(folder / "gone.xlsx")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.xlsx")
    assert _candidates(folder) == 2


SAMPLES = Path(__file__).resolve().parent.parent / "inputs"


def _samples(tmp_path: Path) -> Path:
    import shutil

    for month in ("2022-05", "2022-06"):
        shutil.copytree(SAMPLES / month, tmp_path / "inputs" / month)
    return tmp_path


def test_an_earlier_month_run_late_reruns_the_later_ones(tmp_path):
    """June run before May said 县总工会 sent no 上月累计 (W-NO-PREVIOUS) and left its
    indicators 未报送; running May afterwards runs June again, so June is built on May."""
    from pipeline.assemble import report_from_store
    from pipeline.store import Store

    ws = open_workspace(_samples(tmp_path))
    first = run_job(ws, "2022-06")
    assert any(i.code == "W-NO-PREVIOUS" for i in first.report.issues)
    result = run_job(ws, "2022-05")
    assert [r.outputs.name for r in result.rerun] == ["2022-06"] and result.stale == ()
    with Store(ws.db) as store:
        june = report_from_store(store, "2022-06", ws.targets, ws.config)
    assert not any(i.code == "W-NO-PREVIOUS" for i in june.issues)
    union = {r.id: r for r in june.indicators}
    assert (union["10.2"].status, union["10.2"].value) != ("未报送", None)
    issues = (tmp_path / "outputs/2022-06/issues.csv").read_text(encoding="utf-8-sig")
    assert "W-NO-PREVIOUS" not in issues


def test_a_later_month_that_cannot_be_rerun_is_named(tmp_path):
    """A later month whose inputs folder is gone cannot be run again: the run says which
    month is out of date and how to re-run it (the CLI prints it)."""
    import shutil

    from click.testing import CliRunner

    from pipeline.cli import cli

    ws = open_workspace(_samples(tmp_path))
    run_job(ws, "2022-06")
    shutil.rmtree(tmp_path / "inputs/2022-06")
    out = CliRunner().invoke(cli, ["run", "--period", "2022-05", "-w", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "注意：2022-06 的汇总用到2022年5月的数据，但未能重新汇总" in out.output
    assert "请运行 minsheng run --period 2022-06" in out.output
