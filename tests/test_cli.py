"""The command line: pinned help texts, exit codes and the user-facing messages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os

import openpyxl
import pytest
from builders import department_sheet, write_xlsx
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.targets import default_targets_path

TOP_HELP = """\
用法：minsheng [选项] 命令 [参数]...

  minsheng 民生实事进度汇总：读取各单位报送的 Excel，汇总、校验并生成报表。

选项：
  --version             显示版本号并退出。
  --debug               出错时显示完整的调用栈（开发用）
  -w, --workspace 目录  工作区目录（含 minsheng.toml），默认为当前目录；可写在命令之前或之后
  -h, --help            显示本帮助并退出。

命令：
  check      立即检查报送文件，列出其中的问题（有错误时退出码为 1）。
  demo       生成示例：新建工作区，放入示例报送文件（2022年5月、6月）并汇总，看看会得到什么。
  email      生成并发送本期邮件：领导汇总、各单位反馈、未报送单位催报（默认试运行）。
  forget     删除误入库的一期：历史数据库中该期的记录和输出目录 outputs/<报告期>/。
  history    显示某个指标（编号，如 2.2）逐月的累计完成情况。
  init       新建一个工作区：inputs/、outputs/、minsheng.toml 和可修改的模板。
  run        汇总一期报送：读取 inputs/<报告期>/ 下的全部文件，校验、入库并生成报表。
  targets    打印目标任务分解表（20项任务的各项指标）。
  templates  生成本期报送模板：每个责任单位一个预填好的 Excel 文件。
"""

TARGETS_HELP = """\
用法：minsheng targets [选项]

  打印目标任务分解表（20项任务的各项指标）。

选项：
  -w, --workspace 目录  工作区目录（含 minsheng.toml），默认为当前目录；可写在命令之前或之后
  --inputs 目录         报送文件目录，默认 <工作区>/inputs
  --outputs 目录        输出目录，默认 <工作区>/outputs
  --db 文件             历史数据库文件，默认 <工作区>/minsheng.db
  --targets 文件        目标任务分解表（xlsx），默认用配置或内置表
  --format [table|csv]  输出格式  [默认：table]
  -h, --help            显示本帮助并退出。
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="minsheng")


def test_top_level_help_is_pinned():
    """`minsheng --help` lists every command with its Chinese summary, in Chinese throughout
    (用法, 选项, 命令; it read Usage:, Options:, Show this message and exit.)."""
    result = invoke("--help")
    assert (result.exit_code, result.output) == (0, TOP_HELP)


def test_targets_help_is_pinned():
    """`minsheng targets --help` shows the shared workspace options and the format choice."""
    result = invoke("targets", "--help")
    assert (result.exit_code, result.output) == (0, TARGETS_HELP)


def test_every_command_has_help():
    """Each subcommand answers --help with exit 0."""
    for name in cli.commands:  # type: ignore[attr-defined]
        assert invoke(name, "--help").exit_code == 0, name


def test_targets_csv(tmp_path):
    """`targets --format csv` prints the contract columns: 20 tasks, 16 departments."""
    result = invoke("targets", "--format", "csv", "-w", str(tmp_path))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len({r["task_id"] for r in rows}) == 20
    depts = {d for r in rows for d in r["departments"].split("、")}
    assert len(depts) == 16
    assert rows[0]["name"] == "农村公路提质改造工程" and rows[0]["target"] == "2.123"


def test_targets_table_output(tmp_path):
    """The readable listing shows each task with its units and each target with its sign."""
    result = invoke("targets", "-w", str(tmp_path))
    assert result.exit_code == 0
    assert "2. 棚户区和老旧小区改造（县住房和城乡建设局）" in result.output
    assert "   2.2   改造房屋总建筑面积：≥ 1.79 万平方米" in result.output
    assert result.output.rstrip().endswith("共 20 项任务、66 个指标、16 个责任单位。")


def test_malformed_targets_file_error(tmp_path):
    """A broken targets workbook exits 1 with the sheet, row and column named, no traceback."""
    wb = openpyxl.load_workbook(default_targets_path())
    wb["目标任务分解表"]["E3"] = "两公里"
    wb.save(tmp_path / "t.xlsx")
    result = invoke("targets", "--targets", str(tmp_path / "t.xlsx"))
    assert result.exit_code == 1
    assert result.output == (
        "错误：目标任务分解表（t.xlsx）工作表“目标任务分解表”第3行E列（目标值）："
        "目标值“两公里”不是数字\n"
    )


def test_bad_period_is_a_usage_error(tmp_path):
    """A period that is not YYYY-MM is refused with exit 2."""
    result = invoke("run", "--period", "2022-6", "-w", str(tmp_path))
    assert result.exit_code == 2
    assert "“2022-6”不是有效的报告期，应形如 2022-06" in result.output


def test_run_without_inputs_folder(tmp_path):
    """No inputs for the period: exit 1 with a message saying which folder is missing."""
    result = invoke("run", "--period", "2022-06", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert "找不到本期的报送文件夹" in result.output


def test_run_writes_outputs_and_exits_zero_with_data_issues(tmp_path):
    """Bad data does not fail the run: exit 0 and the three CSV files."""
    folder = tmp_path / "inputs/2022-06"
    folder.mkdir(parents=True)
    rows = [[1, "办理法律援助案件", 110, "件", 10, "待统计", "", ""]]
    write_xlsx(folder / "司法局6月.xlsx", [department_sheet("县司法局", rows)])
    result = invoke("run", "--period", "2022-06", "-w", str(tmp_path))
    assert result.exit_code == 0, result.output
    out = tmp_path / "outputs/2022-06"
    assert {"observations.csv", "issues.csv", "submissions.csv", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }
    assert "1/16 个单位已报送" in result.output


def test_check_prints_issues_and_exits_one_on_errors(tmp_path):
    """`minsheng check FILE` lists the file's problems with sheet and cell; errors → exit 1."""
    rows = [[1, "办理法律援助案件", 110, "件", 10, "待统计", "", ""]]
    bad = write_xlsx(tmp_path / "司法局6月.xlsx", [department_sheet("县司法局", rows)])
    on_time = dt.datetime(2022, 7, 4, 9, 30).timestamp()  # received before the deadline
    os.utime(bad, (on_time, on_time))
    result = invoke("check", str(bad), "-w", str(tmp_path))
    assert result.exit_code == 1
    missing = (
        "  提醒 W-INDICATOR-MISSING  指标18.2“推进值班律师和刑事案件律师辩护全覆盖试点”"
        "在报送文件中没有找到数据：表中没有该指标的行\n"
    )
    assert result.output == (
        "司法局6月.xlsx（县司法局）：读取 0 个指标\n"
        + missing
        + "  错误 E-CELL-TEXT [进度表][F4] 指标18.1“办理法律援助案件”："
        "单元格内容“待统计”不是数字，请填写数字\n"
    )
    rows[0][5] = 55
    rows.append([2, "推进值班律师和刑事案件律师辩护全覆盖试点", "", "", "", "推进中", "", ""])
    good = write_xlsx(tmp_path / "司法局7月.xlsx", [department_sheet("县司法局", rows)])
    os.utime(good, (on_time + 31 * 86400, on_time + 31 * 86400))
    result = invoke("check", str(good), "-w", str(tmp_path))
    assert (result.exit_code, result.output) == (
        0,
        "司法局7月.xlsx（县司法局）：读取 2 个指标\n  未发现问题。\n",
    )


def test_check_gives_the_issues_run_gives(tmp_path):
    """`check` and `run` agree on a file: a level below its standard is W-LEVEL-NOT-MET in
    both (check said 未发现问题), and the file's issues are the same codes and cells."""
    rows = [
        [1, "农村公路提质改造工程", 2.123, "公里", 0.1, 1.0, "", ""],
        [2, "农村公路列养率", "100%", "%", None, "80%", "", ""],
    ]
    folder = tmp_path / "inputs" / "2022-06"
    folder.mkdir(parents=True)
    path = write_xlsx(folder / "交通局6月.xlsx", [department_sheet("县交通运输局", rows)])
    checked = invoke("check", str(path), "-w", str(tmp_path))
    assert "W-LEVEL-NOT-MET" in checked.output
    assert invoke("run", "-p", "2022-06", "-w", str(tmp_path)).exit_code == 0
    with open(tmp_path / "outputs" / "2022-06" / "issues.csv", encoding="utf-8-sig") as fh:
        ran = {
            (r["code"], f"[{r['sheet']}][{r['cell']}]" if r["sheet"] else "")
            for r in csv.DictReader(fh)
            if r["file"] == path.name
        }
    said = {
        (parts[1], parts[2] if parts[2].startswith("[") else "")
        for line in checked.output.splitlines()[1:]
        if len(parts := line.split()) > 2
    }
    assert said == ran


def test_check_says_what_is_no_submission(tmp_path):
    """An Excel lock file, an editor's .tmp and the office's 收文登记.csv are no submissions:
    `check` says so instead of asking for a template or a department's name."""
    folder = tmp_path / "inputs" / "2022-06"
    folder.mkdir(parents=True)
    for name in ("~$交通局6月.xlsx", "交通局6月.xlsx.tmp", "收文登记.csv"):
        (folder / name).write_bytes(
            b"\x00" * 10 if name != "收文登记.csv" else "文件名,收到时间\n".encode()
        )
    result = invoke(
        "check", *(str(folder / n) for n in sorted(os.listdir(folder))), "-w", str(tmp_path)
    )
    assert result.exit_code == 0
    assert result.output.count("I-NOT-A-SUBMISSION") == 3
    assert "请用报送模板" not in result.output and "注明单位" not in result.output


def test_history_command(tmp_path):
    """`minsheng history 18.1` lists the indicator's months from the store."""
    for period, cum in (("2022-05", 45), ("2022-06", 55)):
        folder = tmp_path / "inputs" / period
        folder.mkdir(parents=True)
        write_xlsx(
            folder / "司法局.xlsx",
            [department_sheet("县司法局", [[1, "办理法律援助案件", 110, "件", 10, cum, "", ""]])],
        )
        assert invoke("run", "-p", period, "-w", str(tmp_path)).exit_code == 0
    result = invoke("history", "18.1", "-w", str(tmp_path))
    assert result.output == (
        "18.1 办理法律援助案件（目标 110件，县司法局）\n"
        "  2022-05  45件（本月 10件）  县司法局\n"
        "  2022-06  55件（本月 10件）  县司法局\n"
    )
    assert invoke("history", "99.9", "-w", str(tmp_path)).exit_code == 1


def test_init_creates_a_ready_workspace(tmp_path):
    """`minsheng init` makes inputs/, outputs/, the config and an editable targets copy."""
    ws = tmp_path / "office"
    result = invoke("init", str(ws))
    assert result.exit_code == 0
    assert (ws / "inputs").is_dir() and (ws / "outputs").is_dir()
    assert 'targets = "目标任务分解表.xlsx"' in (ws / "minsheng.toml").read_text(encoding="utf-8")
    assert (ws / "目标任务分解表.xlsx").is_file()
    again = invoke("targets", "--format", "csv", "-w", str(ws))
    assert again.exit_code == 0 and again.output.count("\n") == 67


def test_click_messages_are_chinese(tmp_path):
    """click's own words reach the clerk in Chinese: usage line, a bad --period, a missing
    option, an unknown option or command (they read ``Usage:``, ``Error: Invalid value for
    '--period'``, ``Missing option``, ``No such option``)."""
    bad = invoke("run", "--period", "2022-13", "-w", str(tmp_path))
    assert bad.exit_code == 2
    assert bad.output == (
        "用法：minsheng run [选项]\n"
        "运行 'minsheng run --help' 查看帮助。\n\n"
        "错误：'--period' / '-p' 的取值无效：“2022-13”不是有效的报告期，应形如 2022-06\n"
    )
    missing = invoke("run", "-w", str(tmp_path))
    assert (missing.exit_code, missing.output.splitlines()[-1]) == (
        2,
        "错误：缺少选项 '--period' / '-p'。",
    )
    unknown = invoke("run", "-p", "2022-06", "-x")
    assert (unknown.exit_code, unknown.output.splitlines()[-1]) == (2, "错误：没有 '-x' 这个选项。")
    typo = invoke("rnu")
    assert typo.output.splitlines()[-1] == "错误：没有 'rnu' 这个命令。 是不是要用 'run'？"
    for text in (bad.output, missing.output, unknown.output, typo.output):
        assert not any(w in text for w in ("Usage", "Error", "Missing", "No such", "Try "))


def test_workspace_option_before_the_command(tmp_path):
    """``minsheng -w WS run …`` works as ``minsheng run … -w WS`` (it said No such option)."""
    result = invoke("-w", str(tmp_path), "run", "--period", "2022-06")
    assert result.exit_code == 1  # it looked in WS: no inputs there
    assert f"找不到本期的报送文件夹：{tmp_path / 'inputs' / '2022-06'}" in result.output
    listing = invoke("-w", str(tmp_path), "targets")
    assert listing.exit_code == 0 and "共 20 项任务" in listing.output


def test_init_says_where_the_workspace_is(tmp_path, monkeypatch):
    """``init .`` names the folder it made ready (it said ``工作区已就绪：.。``), and the next
    command to type leaves ``-w`` out when the workspace is the current folder."""
    monkeypatch.chdir(tmp_path)
    here = invoke("init", ".")
    assert here.exit_code == 0
    assert f"工作区已就绪：{tmp_path.resolve()}\n" in here.output
    assert here.output.rstrip().endswith("后运行：minsheng run --period <报告期>")
    other = invoke("init", "县民生办 2022")
    assert f"工作区已就绪：{(tmp_path / '县民生办 2022').resolve()}\n" in other.output
    assert other.output.rstrip().endswith('minsheng run --period <报告期> -w "县民生办 2022"')


@pytest.mark.parametrize("name", ["2022年7月", "2022.07", "7月", "2022-7"])
def test_a_month_folder_named_otherwise_gets_a_rename_hint(tmp_path, name):
    """inputs/2022年7月 exists but inputs/2022-07 does not: the error says which folder to
    rename and to what (it only said the folder was missing)."""
    (tmp_path / "inputs" / name).mkdir(parents=True)
    (tmp_path / "inputs" / "2022年6月").mkdir()
    result = invoke("run", "--period", "2022-07", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert f"中有文件夹“{name}”，如果是本期的报送文件，请把它改名为“2022-07”" in result.output
    assert "2022年6月" not in result.output


def test_demo_makes_a_workspace_and_runs_the_samples(tmp_path, monkeypatch):
    """``minsheng demo`` (no make, no source tree needed) makes a workspace with the sample
    months and runs them — also where there is no ``fork`` (Windows): nothing it runs needs
    one."""
    import multiprocessing

    from pipeline import fanout

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr("sys.platform", "win32")
    assert fanout.workers_for(10_000) == 0

    def no_fork(*args, **kwargs):
        raise AssertionError("a clerk's command asked for fork")

    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    monkeypatch.chdir(tmp_path)
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    ws = tmp_path / "民生实事示例"
    assert sorted(p.name for p in (ws / "outputs").iterdir()) == ["2022-05", "2022-06"]
    assert (ws / "inputs" / "2022-06" / "收文登记.csv").is_file()
    assert result.output.startswith("2022年5月：读取 16 个文件")
    assert f"示例已生成：{(ws / 'outputs' / '2022-06').resolve()}" in result.output
    again = invoke("demo")  # a second time: the months are run again, nothing is lost
    assert again.exit_code == 0, again.output
