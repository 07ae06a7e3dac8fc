"""The HTML report in a real browser (Debian's Chromium, headless, driven by playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from factories import make_report
from playwright.sync_api import Browser, Page, sync_playwright

from pipeline.render.html import write_html
from pipeline.workspace import BUILTIN_TEMPLATES

pytestmark = pytest.mark.browser

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    full, public = write_html(make_report(), out, [BUILTIN_TEMPLATES])
    return {"full": out / full, "public": out / public}


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Watched:
    """What a page did while loading: console errors, uncaught exceptions, requests."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def open_page(browser: Browser, path: Path, viewport: dict[str, int]) -> Watched:
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    watched = Watched(page)
    page.on(
        "console",
        lambda m: watched.errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: watched.errors.append(f"pageerror: {e}"))
    page.on("request", lambda r: watched.requests.append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return watched


@pytest.mark.parametrize("variant", ["full", "public"])
def test_loads_cleanly_and_offline(
    browser: Browser, report_files: dict[str, Path], variant: str
) -> None:
    """No console error, no script error, and no request but the file itself (or data:)."""
    watched = open_page(browser, report_files[variant], DESKTOP)
    assert watched.errors == []
    assert watched.requests  # the document itself
    assert all(u.startswith(("file://", "data:")) for u in watched.requests), watched.requests
    assert watched.page.evaluate("document.documentElement.lang") == "zh-CN"


def test_headline_figures_are_visible(browser: Browser, report_files: dict[str, Path]) -> None:
    """The title, the task count and the reporting rate are on screen, not hidden."""
    page = open_page(browser, report_files["full"], DESKTOP).page
    title = page.locator("h1")
    assert title.is_visible()
    assert title.inner_text() == "黟县2022年民生实事进展情况（截至6月底）"
    tasks, rate = page.locator("#card-tasks"), page.locator("#card-rate")
    assert tasks.is_visible() and tasks.inner_text().startswith("20")
    assert rate.is_visible() and rate.inner_text() == "68.8%"
    assert page.locator("li.task").count() == 20
    assert page.get_by_text("<script>alert('x')</script>开展宣传").is_visible()


def test_screenshot_and_a4_pdf(
    browser: Browser, report_files: dict[str, Path], tmp_path: Path
) -> None:
    """A full-page screenshot and an A4 print-out come out, and are more than a blank page."""
    page = open_page(browser, report_files["full"], DESKTOP).page
    png = tmp_path / "report.png"
    page.screenshot(path=png, full_page=True)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_size > 100_000
    pdf = tmp_path / "report.pdf"
    page.pdf(path=pdf, format="A4")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 100_000
    assert page.evaluate("document.documentElement.scrollHeight") > 3 * DESKTOP["height"]


@pytest.mark.parametrize("variant", ["full", "public"])
def test_print_layout_fits_an_a4_page(
    browser: Browser, report_files: dict[str, Path], tmp_path: Path, variant: str
) -> None:
    """In print, at the width of A4 less its margins (186 mm ≈ 703 px), nothing sticks out
    (the 公示版 too: it is what gets posted)."""
    page = open_page(browser, report_files[variant], {"width": 703, "height": 1000}).page
    page.emulate_media(media="print")
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .map(e => e.tagName + "." + e.className)"""
    )
    assert overflowing == []


@pytest.mark.parametrize("variant", ["full", "public"])
def test_phone_has_no_sideways_scroll(
    browser: Browser, report_files: dict[str, Path], tmp_path: Path, variant: str
) -> None:
    """On a 390 px phone the page never scrolls sideways, and the indicator table does not
    either: each indicator is a card with 完成率 and 状态 on screen (the table was 940 px
    wide in a scrolling box, 完成率 and 状态 off to the right)."""
    page = open_page(browser, report_files[variant], PHONE).page
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth")
    table = page.locator("table.ind")
    assert table.evaluate("e => e.parentElement.scrollWidth <= e.parentElement.clientWidth")
    off_screen = page.evaluate(
        """() => [...document.querySelectorAll("table.ind tbody tr:not(.grp)")].flatMap(tr =>
            [...tr.querySelectorAll(".c-st, .c-done:not(.c-none), .c-name")]
              .filter(td => { const r = td.getBoundingClientRect();
                              return r.width === 0 || r.left < 0 || r.right > innerWidth; })
              .map(td => tr.querySelector(".c-no").innerText + " " + td.className))"""
    )
    assert off_screen == []
    done = page.locator("table.ind .c-done:not(.c-none)").first
    assert (done.get_attribute("data-label"), done.inner_text()) == ("完成率", "56.5%")
    page.screenshot(path=tmp_path / f"{variant}-phone.png", full_page=True)
    assert (tmp_path / f"{variant}-phone.png").stat().st_size > 50_000


@pytest.fixture(scope="module")
def comparison_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county comparison of a city's run over 30 generated counties."""
    import sys

    from pipeline.job import run_job
    from pipeline.workspace import open_workspace

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from make_counties import generate

    root = tmp_path_factory.mktemp("city")
    generate(root, 30, "2022-06")
    (root / "minsheng.toml").write_text('county = "黄山市"\n', encoding="utf-8")
    result = run_job(open_workspace(root), "2022-06")
    assert result.comparison is not None
    return result.outputs / result.comparison.html_name


def test_the_county_comparison_in_a_browser(
    browser: Browser, comparison_page: Path, tmp_path: Path
) -> None:
    """The city's comparison page loads offline without errors, ranks every county, keeps its
    task matrix in a scrolling box on a phone, and prints to A4."""
    watched = open_page(browser, comparison_page, DESKTOP)
    assert watched.errors == []
    assert all(u.startswith(("file://", "data:")) for u in watched.requests), watched.requests
    page = watched.page
    assert page.locator("h1").inner_text() == "黄山市2022年民生实事县区进展比较（截至6月底）"
    assert page.locator("#ranking li.task").count() == 30
    assert page.locator("#matrix tbody tr").count() == 30
    ranks = [int(t) for t in page.locator("#ranking .task-no").all_inner_texts()]
    assert ranks == sorted(ranks) and ranks[0] == 1
    phone = open_page(browser, comparison_page, PHONE).page
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("#matrix .table-wrap").evaluate("e => e.scrollWidth > e.clientWidth")
    pdf = tmp_path / "compare.pdf"
    page.pdf(path=pdf, format="A4")
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 50_000


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_trend_charts_show_schedule_and_keep_labels_off_the_data(
    browser: Browser, report_files: dict[str, Path], viewport: dict[str, int]
) -> None:
    """Each count indicator's small chart draws its 序时 line, and no label (the last figure,
    the target) covers a point, the figures' line or the other label (they overlapped)."""
    page = open_page(browser, report_files["full"], viewport).page
    found = page.evaluate(
        """() => [...document.querySelectorAll("figure.chart svg")].map(svg => {
            const box = e => e.getBoundingClientRect();
            const hit = (a, b) => a.left < b.right && b.left < a.right
                                  && a.top < b.bottom && b.top < a.bottom;
            const labels = [...svg.querySelectorAll("text.val, text.target-label")].map(box);
            const data = [...svg.querySelectorAll("circle.pt, polyline.line, polyline.plan")]
                .map(box);
            return {
                plan: svg.querySelectorAll("polyline.plan").length,
                covered: labels.some(l => data.some(d => hit(l, d))),
                touching: labels.length === 2 && hit(labels[0], labels[1]),
                clipped: labels.some(l => l.right > box(svg).right + 0.5),
            };
        })"""
    )
    assert found and not [f for f in found if f["covered"] or f["touching"] or f["clipped"]]
    charts = page.locator("figure.chart")
    first = charts.first.locator("figcaption").inner_text()
    assert first.startswith("1.1") and found[0]["plan"] == 1  # 1.1 counts kilometres
