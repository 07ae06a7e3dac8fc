"""A city office's run over several counties: each normalised on its own, then compared."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import openpyxl
import pytest
from builders import department_sheet, write_xlsx
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.job import run_job
from pipeline.outputs import ISSUE_COLUMNS, OBSERVATION_COLUMNS, SUBMISSION_COLUMNS
from pipeline.store import Store
from pipeline.targets import default_targets_path
from pipeline.workspace import open_workspace

HEADER = ["指标名称", "本月完成", "累计完成"]


def submit(root: Path, county: str, name: str, rows: list[list[object]]) -> None:
    folder = root / "inputs/2022-06" / county
    folder.mkdir(parents=True, exist_ok=True)
    write_xlsx(folder / name, [department_sheet(None, rows, header=HEADER)])


def build(root: Path) -> None:
    (root / "minsheng.toml").write_text('county = "黄山市"\n', encoding="utf-8")
    submit(root, "黟县", "司法局.xlsx", [["办理法律援助案件", 10, 55]])  # 50 %
    submit(root, "黟县", "残联.xlsx", [["困难精神残疾人药费补助", 20, 147]])  # 100 %
    submit(root, "歙县", "司法局.xlsx", [["办理法律援助案件", 10, 110]])  # 100 %
    submit(root, "歙县", "残联.xlsx", [["困难精神残疾人药费补助", 20, 147]])
    submit(root, "歙县", "交通局.xlsx", [["农村公路提质改造工程", 0.1, 0.5]])
    # 休宁县 has its own target table: 220 legal-aid cases
    wb = openpyxl.load_workbook(default_targets_path())
    ws = wb["目标任务分解表"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "18.1")
    row[4].value = 220
    (root / "inputs/2022-06/休宁县").mkdir(parents=True)
    wb.save(root / "inputs/2022-06/休宁县/休宁县目标任务分解表.xlsx")
    submit(root, "休宁县", "司法局.xlsx", [["办理法律援助案件", 10, 110]])  # 50 % of 220


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_each_county_is_normalised_on_its_own(tmp_path):
    """The city's observations carry each county's exact values and its own target."""
    build(tmp_path)
    result = run_job(open_workspace(tmp_path), "2022-06")
    out = tmp_path / "outputs/2022-06"
    by_county: dict[str, dict[str, dict[str, str]]] = {}
    for r in rows(out / "observations.csv"):
        by_county.setdefault(r["county"], {})[r["indicator_id"]] = r
    assert list(by_county) == ["休宁县", "歙县", "黟县"]  # county by county, folder order
    assert by_county["黟县"]["18.1"]["value"] == "55"
    assert by_county["歙县"]["18.1"]["value"] == "110"
    assert (by_county["休宁县"]["18.1"]["target"], by_county["休宁县"]["18.1"]["progress"]) == (
        "220",
        "0.5",
    )
    submissions = rows(out / "submissions.csv")
    assert {r["county"] for r in submissions} == {"休宁县", "歙县", "黟县"}
    assert "目标任务分解表" not in " ".join(r["files"] for r in submissions)
    assert not [p for p in out.iterdir() if p.is_dir()]  # no folder per county
    for name, columns in (
        ("observations.csv", OBSERVATION_COLUMNS),
        ("issues.csv", ISSUE_COLUMNS),
        ("submissions.csv", SUBMISSION_COLUMNS),
    ):  # a single county's contract with the county in front
        assert (out / name).read_text(encoding="utf-8-sig").split("\n", 1)[0] == ",".join(
            ["county", *columns]
        )
    assert [r.county for r, _ in result.counties] == ["休宁县", "歙县", "黟县"]


def test_ranking_and_counties_csv(tmp_path):
    """Counties ranked by mean task completion, then reporting rate; counties.csv holds it."""
    build(tmp_path)
    result = run_job(open_workspace(tmp_path), "2022-06")
    assert result.comparison is not None
    ranking = [(r.rank, r.county, r.completion, r.reporting_rate) for r in result.comparison.rows]
    # 黟县: task 9 100 %, task 18 50 % → 75 %; 歙县: task 1 (0.5 of 2.123 km) 23.55 %,
    # tasks 9 and 18 100 % → 74.52 %; 休宁县: 110 of its own 220 → 50 %
    assert ranking == [
        (1, "黟县", 0.75, 0.125),
        (2, "歙县", 0.745172, 0.1875),
        (3, "休宁县", 0.5, 0.0625),
    ]
    table = rows(tmp_path / "outputs/2022-06/counties.csv")
    assert [
        (r["rank"], r["county"], r["completion"], r["reporting_rate"], r["task_18"]) for r in table
    ] == [
        ("1", "黟县", "0.75", "0.125", "0.5"),
        ("2", "歙县", "0.7452", "0.1875", "1"),
        ("3", "休宁县", "0.5", "0.0625", "0.5"),
    ]


def test_equal_figures_share_a_rank(tmp_path):
    """Two counties with the same completion and reporting rate share a rank."""
    (tmp_path / "minsheng.toml").write_text('county = "黄山市"\n', encoding="utf-8")
    for county in ("祁门县", "黟县", "歙县"):
        cases = 110 if county == "歙县" else 55
        submit(tmp_path, county, "司法局.xlsx", [["办理法律援助案件", 10, cases]])
    result = run_job(open_workspace(tmp_path), "2022-06")
    assert result.comparison is not None
    assert [(r.rank, r.county) for r in result.comparison.rows] == [
        (1, "歙县"),
        (2, "祁门县"),
        (2, "黟县"),
    ]


@pytest.mark.filterwarnings("ignore:(Unknown|Conditional Formatting) extension:UserWarning")
def test_comparison_outputs_and_store_isolation(tmp_path):
    """The comparison workbook and page are written; each county's history is its own."""
    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    out = tmp_path / "outputs/2022-06"
    book = openpyxl.load_workbook(out / "黄山市2022年民生实事县区比较（2022-06）.xlsx")
    assert book.sheetnames == ["县区排名", "任务完成度"]
    ranking = book["县区排名"]
    assert [ranking.cell(r, 2).value for r in range(4, 7)] == ["黟县", "歙县", "休宁县"]
    html = (out / "黄山市2022年民生实事县区比较（2022-06）.html").read_text(encoding="utf-8")
    assert "黄山市2022年民生实事县区进展比较（截至6月底）" in html and "休宁县" in html
    with Store(tmp_path / "minsheng.db") as store:
        assert [o.value for o in store.scoped("黟县").history(indicator_id="18.1")] == [55.0]
        assert [o.value for o in store.scoped("休宁县").history(indicator_id="18.1")] == [110.0]
        assert store.history(indicator_id="18.1") == []  # the city itself has no figures


def test_cli_prints_each_county(tmp_path):
    """`minsheng run` on a multi-county folder prints one line per county and the leader."""
    build(tmp_path)
    result = CliRunner().invoke(cli, ["run", "-p", "2022-06", "-w", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[0].startswith("黟县 2022年6月：读取 2 个文件")
        or "黟县 2022年6月：读取 2 个文件" in result.output
    )
    assert "共 3 个县区；平均完成进度第一：" in result.output
    assert "  observations.csv\n" in result.output and "黟县/" not in result.output


def _jobs(root: Path):
    from pipeline.counties import TARGETS_MARK, county_folders
    from pipeline.fanout import CountyRead
    from pipeline.targets import load_targets

    ws = open_workspace(root)
    return [
        CountyRead(
            c.folder,
            "2022-06",
            load_targets(c.targets_file) if c.targets_file else ws.targets,
            ws.config,
            TARGETS_MARK,
        )
        for c in county_folders(ws.period_inputs("2022-06")) or []
    ]


@pytest.mark.skipif(
    __import__("sys").platform != "linux", reason="the worker processes are forked (Linux)"
)
def test_two_workers_read_exactly_what_one_process_reads(tmp_path):
    """Read in two forked workers, each county gives the same data, in the same order, and
    the progress hears each county's file count; a file only the isolated reader may open is
    read from a worker as from the parent."""
    import hostile

    from pipeline.fanout import read_counties

    build(tmp_path)
    hostile.xml_sheet_without_addresses(tmp_path / "inputs/2022-06/歙县/民政局.xlsx")
    jobs = _jobs(tmp_path)
    heard: list[int] = []
    meanwhile: list[str] = []
    alone = list(read_counties(jobs, {}, workers=0, meanwhile=lambda: meanwhile.append("0")))
    forked = read_counties(jobs, {}, 2, heard.append, meanwhile=lambda: meanwhile.append("2"))
    first = next(forked)  # the parent's own work ran while the workers read
    assert meanwhile == ["0", "2"]
    forked = [first, *forked]
    assert [d.files[0].source.path for d in forked] == [d.files[0].source.path for d in alone]
    assert forked == alone
    assert heard == [1, 4, 2]  # 休宁县 (its target table is no submission), 歙县, 黟县
    assert sum(len(d.observations) for d in forked) == 6
    isolated = next(f for d in forked for f in d.files if f.source.name == "民政局.xlsx")
    assert [i.code for i in isolated.issues] == ["E-FILE-TOO-LARGE"]  # the worker's verdict


def test_the_run_uses_workers_only_for_many_files(monkeypatch, tmp_path):
    """Workers from MIN_FILES files up, or as many as `--workers` asks; whether the counties
    are read in workers changes nothing in the outputs."""
    from pipeline import fanout

    linux = __import__("sys").platform == "linux"
    assert fanout.workers_for(16) == 0
    assert fanout.workers_for(fanout.MIN_FILES) == (2 if linux else 0)
    assert fanout.workers_for(5000, asked=0) == 0
    cores = os.cpu_count() or 1
    assert fanout.workers_for(6, asked=3) == (min(3, cores) if linux else 0)
    assert fanout.workers_for(6, asked=100_000) <= cores  # never a fork storm
    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    out = tmp_path / "outputs/2022-06"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    result = CliRunner().invoke(
        cli, ["run", "-p", "2022-06", "--workers", "2", "-w", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    assert after == before
    bad = CliRunner().invoke(cli, ["run", "-p", "2022-06", "--workers", "-1", "-w", str(tmp_path)])
    assert bad.exit_code == 2


def test_a_failed_city_run_leaves_store_and_outputs_as_they_were(monkeypatch, tmp_path):
    """Every county is stored and written, or none: a failure late in the run (here while
    writing the comparison) rolls the store back and keeps the previous outputs."""
    from pipeline.render import compare

    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    out = tmp_path / "outputs/2022-06"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    submit(tmp_path, "黟县", "司法局.xlsx", [["办理法律援助案件", 10, 99]])  # a resubmission

    def broken(*args, **kwargs):
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(compare, "write_comparison", broken)
    with pytest.raises(RuntimeError):
        run_job(open_workspace(tmp_path), "2022-06")
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not list(out.parent.glob(".2022-06*"))  # no staging folder left behind
    with Store(tmp_path / "minsheng.db") as store:
        assert [o.value for o in store.scoped("黟县").history(indicator_id="18.1")] == [55.0]
        assert len(store.db.execute("SELECT * FROM runs").fetchall()) == 3  # first run only


def _dies_on_the_second_county(index: int):
    from pipeline import fanout

    if index == 1:
        os._exit(1)  # a worker killed mid-run, as the kernel's OOM killer would
    return fanout.read_period_of(index)


@pytest.mark.skipif(
    __import__("sys").platform != "linux", reason="the worker processes are forked (Linux)"
)
def test_a_worker_killed_twice_costs_only_its_county(monkeypatch, tmp_path):
    """Issue #19.5: when a worker dies, the counties not yet delivered are read again by
    fresh workers one at a time, and the run says so; the county whose worker dies again is
    reported unread with the reason, the others are read as one process reads them."""
    from pipeline import fanout

    build(tmp_path)
    jobs = _jobs(tmp_path)
    alone = list(fanout.read_counties(jobs, {}, workers=0))
    monkeypatch.setattr(fanout, "_read", _dies_on_the_second_county)
    heard: list[str] = []
    got = list(fanout.read_counties(jobs, {}, workers=2, on_notice=lambda c, m: heard.append(m)))
    assert [got[0], got[2]] == [alone[0], alone[2]]
    assert got[1] == fanout.Unread("黄山市", "读取该县区的进程两次意外终止（可能内存不足）")
    assert heard == ["读取进程意外终止，已换新的进程重新读取"]


def test_the_benchmark_counties_are_read_completely(tmp_path):
    """The scale benchmark measures real work: every generated file (formatted xlsx and xls)
    is read, every indicator found, every arrival taken from the register, no error."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from dataclasses import replace

    from make_counties import generate

    from pipeline.assemble import report_from_store

    assert generate(tmp_path, 2, "2022-06") == 32
    (tmp_path / "minsheng.toml").write_text('county = "黄山市"\n', encoding="utf-8")
    result = run_job(open_workspace(tmp_path), "2022-06")
    report_targets = open_workspace(tmp_path).targets
    assert len(result.counties) == 2
    for report, data in result.counties:
        assert len(data.files) == 16 and all(f.readable for f in data.files)
        assert {f.source.format for f in data.files} == {"xlsx", "xls"}
        assert len(data.observations) == 66
        with Store(tmp_path / "minsheng.db") as store:  # as `email` would rebuild it
            config = replace(open_workspace(tmp_path).config, county=report.county)
            again = report_from_store(
                store.scoped(report.county), "2022-06", report_targets, config
            )
        assert repr(again) == repr(report)
        assert not [i for i in report.issues if i.severity == "error"]
        assert {s.status for s in data.submissions} <= {"on_time", "late"}
        assert "on_time" in {s.status for s in data.submissions}


def test_history_in_a_city_workspace(tmp_path):
    """`minsheng history` lists each county's figures month by month; --county picks one;
    an unknown county is named with the ones the store has."""
    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    runner = CliRunner()
    every = runner.invoke(cli, ["history", "18.1", "-w", str(tmp_path)])
    assert every.exit_code == 0, every.output
    lines = every.output.splitlines()[1:]
    assert [line.split("  ")[1:] for line in lines] == [
        ["2022-06", "110件（本月 10件）", "休宁县 县司法局"],
        ["2022-06", "110件（本月 10件）", "歙县 县司法局"],
        ["2022-06", "55件（本月 10件）", "黟县 县司法局"],
    ]
    one = runner.invoke(cli, ["history", "18.1", "--county", "黟县", "-w", str(tmp_path)])
    assert one.exit_code == 0 and [x.split("  ")[1:] for x in one.output.splitlines()[1:]] == [
        ["2022-06", "55件（本月 10件）", "县司法局"]
    ]
    unknown = runner.invoke(cli, ["history", "18.1", "--county", "祁门县", "-w", str(tmp_path)])
    assert unknown.exit_code != 0
    assert "历史数据中没有县区“祁门县”，已有：休宁县、歙县、黟县" in unknown.output


def test_a_failure_while_storing_stops_the_workers(monkeypatch, tmp_path):
    """When storing a county fails, the reading generator is closed at once (its workers
    shut down) instead of reading every remaining county for nothing."""
    from pipeline import fanout, job

    build(tmp_path)
    monkeypatch.setattr(fanout, "MIN_FILES", 1)
    stopped: list[bool] = []
    original = fanout.read_counties

    def watched(*args, **kwargs):
        try:
            yield from original(*args, **kwargs)
        finally:
            stopped.append(True)

    def broken(*args, **kwargs):
        raise RuntimeError("store failed")

    monkeypatch.setattr(fanout, "read_counties", watched)
    monkeypatch.setattr(job, "store_period", broken)
    try:
        run_job(open_workspace(tmp_path), "2022-06")
    except RuntimeError:  # asked while the traceback still holds the run's frames
        assert stopped == [True]
        assert fanout._JOBS == ()
    else:
        pytest.fail("the run should have failed")


def test_email_in_a_city_workspace_says_what_it_is_for(tmp_path):
    """`minsheng email` needs one county's workspace; in a city's it says so instead of
    claiming the period has not been run."""
    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    result = CliRunner().invoke(cli, ["email", "-p", "2022-06", "-w", str(tmp_path)])
    assert result.exit_code == 1
    assert "汇总多个县区的工作目录" in result.output and "尚未汇总" not in result.output


def test_a_county_folder_holding_a_folder_warns_in_that_county(tmp_path):
    """Inside a city's run, a county's sub-folder is that county's warning."""
    build(tmp_path)
    nested = tmp_path / "inputs/2022-06/歙县/旧版"
    nested.mkdir()
    (nested / "司法局.xlsx").write_bytes(
        (tmp_path / "inputs/2022-06/歙县/司法局.xlsx").read_bytes()
    )
    result = run_job(open_workspace(tmp_path), "2022-06")
    assert result.comparison is not None
    by_county = {r.county: r for r, _ in result.counties}
    codes = [(i.code, i.file) for i in by_county["歙县"].issues if i.code.startswith("W-SUBF")]
    assert codes == [("W-SUBFOLDER-IGNORED", "旧版/")]
    assert not [i for i in by_county["黟县"].issues if i.code == "W-SUBFOLDER-IGNORED"]


def test_a_file_beside_the_county_folders_is_said_not_guessed(tmp_path):
    """A city's month with a stray file at its top: no guess which was meant; it is read as
    one folder and each county folder is named as not read, with what to do."""
    build(tmp_path)
    (tmp_path / "inputs/2022-06/汇总说明.docx").write_bytes(b"PK\x03\x04" + bytes(30))
    result = run_job(open_workspace(tmp_path), "2022-06")
    assert result.comparison is None and result.report is not None
    unread = sorted(i.file for i in result.report.issues if i.code == "W-SUBFOLDER-IGNORED")
    assert unread == ["休宁县/", "歙县/", "黟县/"]
    assert all(
        "本月文件夹中不要再放其他文件" in i.message
        for i in result.report.issues
        if i.code == "W-SUBFOLDER-IGNORED"
    )


@pytest.mark.filterwarnings("ignore:(Unknown|Conditional Formatting) extension:UserWarning")
def test_a_county_with_an_unusable_target_table_is_named_and_the_rest_run(tmp_path):
    """One county's own target table is malformed: that county is not summarised (and says
    why, in the CLI, counties.csv, the workbook and the page); the other counties are."""
    build(tmp_path)
    broken = tmp_path / "inputs/2022-06/歙县/歙县目标任务分解表.xlsx"
    wb = openpyxl.load_workbook(default_targets_path())
    wb.remove(wb["目标任务分解表"])
    wb.save(broken)
    result = CliRunner().invoke(cli, ["run", "-p", "2022-06", "-w", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "歙县：未汇总。" in result.output and "缺少工作表“目标任务分解表”" in result.output
    assert "共 2 个县区（另有 1 个未汇总）" in result.output
    out = tmp_path / "outputs/2022-06"
    table = rows(out / "counties.csv")
    assert [(r["rank"], r["county"]) for r in table] == [
        ("1", "黟县"),
        ("2", "休宁县"),
        ("", "歙县"),
    ]
    assert table[-1]["note"].startswith("未汇总：") and table[0]["note"] == ""
    assert "歙县" not in {r["county"] for r in rows(out / "observations.csv")}
    book = openpyxl.load_workbook(out / "黄山市2022年民生实事县区比较（2022-06）.xlsx")
    cells = [c.value for row in book["县区排名"].iter_rows() for c in row if c.value]
    assert "未汇总的县区" in cells and "歙县" in cells
    html = (out / "黄山市2022年民生实事县区比较（2022-06）.html").read_text(encoding="utf-8")
    assert "未汇总的县区" in html and "<strong>歙县</strong>" in html
    with Store(tmp_path / "minsheng.db") as store:
        assert store.counties() == ["休宁县", "黟县"]


def test_a_city_run_where_no_county_can_be_summarised_stops_with_the_reasons(tmp_path):
    build(tmp_path)
    for county in ("黟县", "歙县", "休宁县"):
        (tmp_path / f"inputs/2022-06/{county}/{county}目标任务分解表.xlsx").write_bytes(b"")
    result = CliRunner().invoke(cli, ["run", "-p", "2022-06", "-w", str(tmp_path)])
    assert result.exit_code == 1
    assert "黟县：" in result.output and "歙县：" in result.output


def test_a_stray_file_in_a_city_workspace_stops_instead_of_replacing_the_city(tmp_path):
    """Once a workspace holds counties, a month with a stray file beside the county folders
    is refused (the city's outputs stay); a stray target table is no submission at all."""
    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    out = tmp_path / "outputs/2022-06"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    month = tmp_path / "inputs/2022-06"
    (month / "目标任务分解表.xlsx").write_bytes(default_targets_path().read_bytes())
    assert run_job(open_workspace(tmp_path), "2022-06").comparison is not None
    (month / "交通局.xlsx").write_bytes((month / "歙县/交通局.xlsx").read_bytes())
    result = CliRunner().invoke(cli, ["run", "-p", "2022-06", "-w", str(tmp_path)])
    assert result.exit_code == 1
    assert "既有县区子文件夹" in result.output and "请把其他文件移走" in result.output
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after.keys() == before.keys() and (out / "counties.csv").is_file()


def test_a_county_left_out_keeps_no_old_figures(tmp_path):
    """A county summarised last time and left out this time (its target table broke): its
    stored figures for the period go, so the store holds this run's counties only."""
    build(tmp_path)
    run_job(open_workspace(tmp_path), "2022-06")
    (tmp_path / "inputs/2022-06/休宁县/休宁县目标任务分解表.xlsx").write_bytes(b"")
    result = run_job(open_workspace(tmp_path), "2022-06")
    assert result.comparison is not None and [c for c, _ in result.comparison.unread] == ["休宁县"]
    with Store(tmp_path / "minsheng.db") as store:
        assert store.scoped("休宁县").history(indicator_id="18.1") == []
        assert store.scoped("休宁县").periods() == []
        assert [o.value for o in store.scoped("黟县").history(indicator_id="18.1")] == [55.0]


def test_the_comparison_page_follows_the_workspace_template(tmp_path):
    """A city's own templates/compare.html, added after a first run, is used (compiled while
    the workers read); edited between runs it is read again; broken, the run stops naming the
    template and line, and the earlier outputs stay as they were."""
    from pipeline.errors import ConfigError

    build(tmp_path)
    page = tmp_path / "outputs/2022-06/黄山市2022年民生实事县区比较（2022-06）.html"
    run_job(open_workspace(tmp_path), "2022-06", workers=2)
    assert "黄山市2022年民生实事县区进展比较" in page.read_text(encoding="utf-8")
    (tmp_path / "templates").mkdir()
    own = tmp_path / "templates/compare.html"
    own.write_text("<p>本市版式 {{ report.rows[0].county }}</p>\n", encoding="utf-8")
    run_job(open_workspace(tmp_path), "2022-06", workers=2)
    assert page.read_text(encoding="utf-8") == "<p>本市版式 黟县</p>\n"
    own.write_text("<p>改过的版式 {{ report.rows | length }}</p>\n", encoding="utf-8")
    os.utime(own, (1, 2_000_000_000))  # a later mtime even on a coarse-clock file system
    run_job(open_workspace(tmp_path), "2022-06", workers=2)
    assert page.read_text(encoding="utf-8") == "<p>改过的版式 3</p>\n"
    own.write_text("<p>{% if %}</p>\n", encoding="utf-8")
    os.utime(own, (1, 2_000_000_100))
    with pytest.raises(ConfigError, match=r"^模板 compare\.html 第 1 行"):
        run_job(open_workspace(tmp_path), "2022-06", workers=2)
    assert page.read_text(encoding="utf-8") == "<p>改过的版式 3</p>\n"
