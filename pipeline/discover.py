"""Find the files a month's inputs folder holds and say what each one is.

Formats are sniffed from the bytes, never trusted from the extension: departments send HTML
named ``.xls``, xlsx saved by WPS as ``.et``, CSV named ``.xls`` and encrypted workbooks.

``sniff_format`` answers one of: ``xlsx``, ``xlsb``, ``ods``, ``xls``, ``csv``, ``html`` (a
web page, read from its first table), and for what is not a spreadsheet ``encrypted`` (an
OOXML file wrapped in OLE2 with an ``EncryptedPackage`` stream), ``docx``, ``pptx``, ``doc``,
``ppt``, ``ole``, ``zip``, ``archive``, ``pdf``, ``image``, ``mhtml``, ``xml`` (e.g. Excel 2003
XML), ``empty`` or ``unknown``; ``discover`` says ``locked`` for a file it cannot open.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import struct
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path

from pipeline._bounds import MAX_FILE_BYTES, Refused
from pipeline._cfb import CfbError, Compound
from pipeline._memo import IdentityMemo, text_memo
from pipeline._zipcheck import zip_names
from pipeline.errors import InputError
from pipeline.model import Department, Issue, SourceFile

IGNORED_NAMES = frozenset({"thumbs.db", ".ds_store", "desktop.ini"})
SPREADSHEET_FORMATS = frozenset({"xlsx", "xls", "ods", "csv", "xlsb", "html"})
HEAD_BYTES = 64 * 1024
KEEP_BYTES = 256 * 1024  # kept for the reader: department reports are tens of kB
KEEP_TOTAL = 32 * 1024 * 1024  # and no more than this for a folder (the rest is read again)

_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"Rar!\x1a\x07", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),
)


# what editors, downloads and backups leave beside a workbook: never a submission
EDITOR_SUFFIXES = (".tmp", ".temp", ".bak", ".wbk", ".xlk", ".crdownload", ".part", ".download")


def is_ignored(name: str) -> bool:
    """Lock files (``~$x.xlsx``, ``.~lock.x.xlsx#``), hidden dotfiles, folder thumbnails and
    editor or backup files (``x.xlsx.tmp``, ``x.bak``, ``x.xlsx~``): not submissions."""
    lower = name.lower()
    return (
        name.startswith(("~$", ".", "~"))
        or lower in IGNORED_NAMES
        or lower.endswith(EDITOR_SUFFIXES)
        or name.endswith(("~", "#"))
    )


def discover(
    folder: Path,
    known_departments: Sequence[Department],
    year: int | None = None,
    contents: dict[str, bytes] | None = None,
) -> tuple[list[SourceFile], list[Issue]]:
    """The direct files of ``folder`` sorted by name, with sniffed format and guesses.

    ``year`` completes month-only file names ("交通局6月") into a period guess; by default it
    is taken from a folder named like ``2022-06``. Ignored files are skipped; a sub-folder
    holding files is skipped with a warning. ``contents``, when given, receives the bytes of
    each file up to KEEP_BYTES by name (KEEP_TOTAL in all): reading them from there, the reader
    reads each such file once and exactly what its hash describes (a larger file, or one only
    the isolated reader may open, is read again from disk).
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"输入文件夹不存在：{folder}")
    if not folder.is_dir():
        raise InputError(f"输入路径不是文件夹：{folder}")
    if year is None and (m := re.fullmatch(r"(20\d{2})-(0[1-9]|1[0-2])", folder.name)):
        year = int(m.group(1))
    files: list[SourceFile] = []
    issues: list[Issue] = []
    kept = 0
    with os.scandir(folder) as listing:  # entries know their type: no stat but the one
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        if is_ignored(entry.name):
            continue
        path = Path(entry.path)
        try:
            kind = "folder" if entry.is_dir() else "file" if entry.is_file() else ""
        except OSError:  # a link that loops or runs through a file: neither
            kind = ""
        if kind == "folder":
            issues.extend(_unread_folder(path))
            continue
        if kind != "file":
            continue
        stat = entry.stat()
        try:
            data = path.read_bytes() if stat.st_size <= MAX_FILE_BYTES else None
            sha = _sha256(path) if data is None else hashlib.sha256(data).hexdigest()
            fmt = sniff_format(path, data)
            keep = data is not None and len(data) <= min(KEEP_BYTES, KEEP_TOTAL - kept)
            if contents is not None and data is not None and keep:
                contents[path.name] = data
                kept += len(data)
        except OSError:  # open in Excel on Windows (locked), or no permission to read it
            sha, fmt = "", "locked"
        files.append(
            SourceFile(
                path=str(path),
                name=path.name,
                sha256=sha,
                size=stat.st_size,
                mtime=stat.st_mtime,
                format=fmt,
                department=department_from_name(path.name, known_departments),
                period_guess=period_from_name(path.name, year),
            )
        )
    return files, issues


def _unread_folder(folder: Path) -> list[Issue]:
    """A sub-folder's files are not submissions of this folder: said, so that none is
    missed in silence (an unpacked zip, an 附件 folder, a county's folder among files)."""
    inside = [p for p in folder.rglob("*") if p.is_file() and not is_ignored(p.name)]
    if not inside:
        return []
    msg = (
        f"子文件夹“{folder.name}”中的 {len(inside)} 个文件未读取：报送文件请直接放在"
        f"“{folder.parent.name}”文件夹中；市（省）汇总多个县区时，请把每个县区的文件放入"
        "各自的子文件夹，本月文件夹中不要再放其他文件"
    )
    return [Issue("warning", "W-SUBFOLDER-IGNORED", msg, file=f"{folder.name}/")]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- format sniffing ----------------------------------------------------------------------


def sniff_format(path: Path, data: bytes | None = None) -> str:
    """What the file really is, from its bytes (see module docstring); ``data`` is the whole
    file when the caller has read it already."""
    if data is not None:
        head = data[:HEAD_BYTES]
    else:
        try:
            with Path(path).open("rb") as fh:
                head = fh.read(HEAD_BYTES)
        except OSError:  # open in Excel on Windows (locked), or no permission to read it
            return "locked"
    if not head:
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path, head, data)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path, head, data)
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    return _sniff_text(head)


def _sniff_zip(path: Path, head: bytes, data: bytes | None) -> str:
    try:
        with Path(path).open("rb") if data is None else io.BytesIO(data) as fh:
            names = zip_names(fh)  # refuses a directory too big to list
            mimetype = b""
            if names is None or "mimetype" in names:  # odd zips and ods: ask zipfile
                with zipfile.ZipFile(fh) as zf:
                    names = set(zf.namelist())
                    small = "mimetype" in names and zf.getinfo("mimetype").file_size <= 256
                    mimetype = zf.read("mimetype").strip() if small else b""
    except (
        zipfile.BadZipFile,
        OSError,
        OverflowError,
        KeyError,
        ValueError,
        Refused,
        struct.error,
    ):
        # truncated or damaged: judge by the member names in the local headers we have
        if b"xl/" in head:
            return "xlsx"
        if _ODS_MIME in head[:200]:
            return "ods"
        return "zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if mimetype.startswith(_ODS_MIME):
        return "ods"
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


def _ole_names(path: Path, head: bytes) -> bytes:
    """Raw bytes of the first directory sector of an OLE2 file (stream names, UTF-16LE)."""
    try:
        shift = struct.unpack_from("<H", head, 0x1E)[0]
        first_dir = struct.unpack_from("<I", head, 0x30)[0]
        size = 1 << shift if 7 <= shift <= 16 else 512
        with Path(path).open("rb") as fh:
            fh.seek((first_dir + 1) * size)
            return fh.read(size)
    except (struct.error, OSError, OverflowError, ValueError):
        return b""


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _sniff_ole(path: Path, head: bytes, data: bytes | None) -> str:
    """By the stream names of the compound file; by a byte search when it cannot be followed."""
    try:
        if data is None:
            if Path(path).stat().st_size > MAX_FILE_BYTES:
                raise CfbError("too large to follow here")
            data = Path(path).read_bytes()
        streams = set(Compound(data).names())
    except (CfbError, OSError, ValueError, IndexError):
        raw = _ole_names(path, head) + head
        streams = {n for n in _OLE_STREAMS if _utf16(n) in raw}
        if not streams & {"EncryptedPackage", "WordDocument", "PowerPoint Document"}:
            return "xls"  # let the reader (isolated) judge a damaged workbook
    if "EncryptedPackage" in streams:
        return "encrypted"  # a password-protected xlsx/docx wrapped in OLE2
    if streams & {"Workbook", "Book"}:
        return "xls"
    if "WordDocument" in streams:
        return "doc"
    if "PowerPoint Document" in streams:
        return "ppt"
    return "ole"


_OLE_STREAMS = ("EncryptedPackage", "Workbook", "Book", "WordDocument", "PowerPoint Document")


_HTML_STARTS = ("<html", "<!doctype html", "<table", "<head", "<meta", "<body")


def _sniff_text(head: bytes) -> str:
    text = _decode_head(head)
    if text is None:
        return "unknown"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(_HTML_STARTS):
        return "html"
    if start.startswith("<!--"):  # "<!-- saved from url=… -->" before a saved page
        return "html" if "<html" in start[:4096] or "<table" in start[:4096] else "unknown"
    if start.startswith("<?xml"):
        return "html" if "<html" in start[:2048] else "xml"
    if start.startswith("mime-version:") and "multipart/related" in start[:4096]:
        return "mhtml"  # Excel's "single file web page" (.mht) renamed .xls
    sample = text[:8192]
    if any(ch in sample for ch in ",\t;|") and not _has_controls(sample):
        return "csv"
    return "unknown"


def _decode_head(head: bytes) -> str | None:
    """Decode the start of a text file, tolerating a character cut at the end of ``head``."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for enc in candidates:
        try:
            return codecs.getincrementaldecoder(enc)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def _has_controls(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text)


# --- guesses from the file name -----------------------------------------------------------


@text_memo
def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


_DEPARTMENTS: IdentityMemo[str | None] = IdentityMemo()


def department_from_name(name: str, departments: Sequence[Department]) -> str | None:
    """The department whose full name or alias appears in ``name``; None unless clear.

    The longest name found wins over names inside it (县交通运输局 over 交通局). When two
    departments are named in different places of the file name, or tie, the answer is None.
    """
    return _DEPARTMENTS.get(name, departments, lambda: _department_in(name, departments))


def short_forms(dept: Department) -> tuple[str, ...]:
    """The forms offices shorten a department's names to: 住建局 → 住建, 发改委 → 发改,
    总工会 → 工会 (two characters at least)."""
    out: list[str] = []
    for label in (dept.name, *dept.aliases):
        label = _norm(label).removeprefix("县")
        if label.endswith(("局", "委")) and len(label) >= 3:
            out.append(label[:-1])
        elif label.startswith("总") and len(label) >= 3:
            out.append(label[1:])
    return tuple(dict.fromkeys(out))


def _department_in(name: str, departments: Sequence[Department]) -> str | None:
    text = _norm(name)
    hits: list[tuple[int, int, str]] = []  # (start, end, department)
    for dept in departments:
        for label in (dept.name, *dept.aliases, *short_forms(dept)):
            label = _norm(label)
            start = text.find(label) if label else -1
            while start >= 0:
                hits.append((start, start + len(label), dept.name))
                start = text.find(label, start + 1)
    if not hits:
        return None
    longest = max(end - start for start, end, _ in hits)
    best = {d for s, e, d in hits if e - s == longest}
    if len(best) != 1:
        return None
    winner = best.pop()
    spans = [(s, e) for s, e, d in hits if d == winner and e - s == longest]
    for s, e, other in hits:
        if other != winner and not any(ws <= s and e <= we for ws, we in spans):
            return None  # another department is named elsewhere in the file name
    return winner


_CN_MONTHS = {
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "十": 10, "十一": 11, "十二": 12,
}  # fmt: skip
_DASH = r"[-~—–至到]"
_YEAR_MONTH = re.compile(
    rf"(?<!\d)(20\d{{2}})(?:年(?:\d{{1,2}}{_DASH})?(\d{{1,2}})月"
    r"|(?:[-_.](0?[1-9]|1[0-2])|(0[1-9]|1[0-2]))(?![-_.]?\d))"
)
_YEAR = re.compile(r"(?<!\d)(20\d{2})年")
_MONTH = re.compile(r"(?<!\d)(\d{1,2})月")
_CN_MONTH = re.compile(r"(?<![一二三四五六七八九十])(十[一二]?|[一二三四五六七八九])月")


def period_from_name(name: str, year: int | None = None) -> str | None:
    """Reporting month named in a file name, as ``YYYY-MM``; None when absent or unclear.

    A year in the name ("2022年6月", "2022-06", "202206", "2022年度…6月") wins; a month
    alone ("6月份", "六月", "1-6月") needs ``year``. Two different months give None.
    """
    text = _norm(Path(name).stem)
    years: set[int] = set()
    months: set[int] = set()
    for m in _YEAR_MONTH.finditer(text):
        years.add(int(m.group(1)))
        months.add(int(next(g for g in m.groups()[1:] if g)))
    rest = _YEAR_MONTH.sub(" ", text)
    years.update(int(y) for y in _YEAR.findall(rest))
    months.update(int(x) for x in _MONTH.findall(rest) if 1 <= int(x) <= 12)
    months.update(_CN_MONTHS[x] for x in _CN_MONTH.findall(rest))
    if not years and year is not None:
        years.add(year)
    if len(months) != 1 or len(years) != 1:
        return None
    return f"{years.pop()}-{months.pop():02d}"
