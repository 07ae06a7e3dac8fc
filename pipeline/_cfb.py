"""A strict, bounded reader of OLE2 compound files (``.xls``, encrypted OOXML, ``.doc``).

Only what the pipeline needs: the names of the streams, and one stream's bytes. Every sector
number, chain and size is checked against the file before it is used, so a hostile file can
only make this raise :class:`CfbError` — never loop, never allocate more than the file holds.
A file this reader refuses may still be one that a laxer reader accepts; callers treat a
refusal as "cannot be bounded", not as "corrupt".
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_MAX_ENTRIES = 4096  # directory entries; a workbook has a handful


class CfbError(ValueError):
    """The compound file is malformed (or shaped to mislead a reader)."""


@dataclass(frozen=True)
class Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class Compound:
    """The directory of a compound file held in memory, and its streams on demand."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(MAGIC):
            raise CfbError("not a compound file")
        self.data = data
        major, _order, shift, mini_shift = struct.unpack_from("<HHHH", data, 0x1A)
        if (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
            raise CfbError("unsupported sector sizes")
        self.major = major
        self.size = 1 << shift
        self.sectors = (len(data) + self.size - 1) // self.size - 1  # the header takes one
        (n_fat, first_dir, _sig, self.cutoff, first_minifat, n_minifat, first_difat, n_difat) = (
            struct.unpack_from("<IIIIIIII", data, 0x2C)
        )
        if n_fat > self.sectors or n_minifat > self.sectors or n_difat > self.sectors:
            raise CfbError("allocation tables larger than the file")
        if n_fat > self.sectors // (self.size // 4) + 2:  # each maps size/4 sectors
            raise CfbError("more allocation-table sectors than the file needs")
        self.fat = self._fat(n_fat, first_difat, n_difat)
        dir_bytes = self._chain_bytes(first_dir, self.fat, self._sector)
        count = min(len(dir_bytes) // 128, _MAX_ENTRIES + 1)
        if count == 0 or count > _MAX_ENTRIES:
            raise CfbError("directory empty or too large")
        self.entries = [self._entry(dir_bytes[i * 128 : (i + 1) * 128]) for i in range(count)]
        root = self.entries[0]
        if root.kind != 5:
            raise CfbError("no root entry")
        self._minifat: list[int] | None = None
        self._first_minifat = first_minifat
        self._ministream: bytes | None = None

    # --- sectors and chains ------------------------------------------------------------------

    def _sector(self, n: int) -> bytes:
        if n >= self.sectors:
            raise CfbError("sector outside the file")
        start = (n + 1) * self.size
        return self.data[start : start + self.size].ljust(self.size, b"\0")

    def _fat(self, n_fat: int, first_difat: int, n_difat: int) -> list[int]:
        ids = list(struct.unpack_from("<109I", self.data, 0x4C))
        sector, seen = first_difat, 0
        per = self.size // 4 - 1
        while sector not in (_ENDOFCHAIN, _FREESECT):
            seen += 1
            if seen > n_difat or seen > self.sectors:
                raise CfbError("DIFAT chain loops or overruns")
            values = struct.unpack(f"<{per + 1}I", self._sector(sector))
            ids.extend(values[:per])
            sector = values[per]
        ids = [i for i in ids if i != _FREESECT][:n_fat]
        if len(ids) != n_fat:
            raise CfbError("fewer FAT sectors than declared")
        if len(set(ids)) != len(ids):
            raise CfbError("a FAT sector listed twice")
        fat: list[int] = []
        for sector in ids:
            fat.extend(struct.unpack(f"<{self.size // 4}I", self._sector(sector)))
        return fat

    def _chain_bytes(
        self, start: int, table: list[int], get: Callable[[int], bytes], most: int | None = None
    ) -> bytes:
        """The sectors of a chain, joined; a chain longer than ``most`` sectors must loop."""
        most = self.sectors if most is None else most
        parts: list[bytes] = []
        sector = start
        while sector != _ENDOFCHAIN:
            if sector >= len(table) or len(parts) >= most:
                raise CfbError("chain leaves its table or loops")
            parts.append(get(sector))
            sector = table[sector]
        return b"".join(parts)

    # --- directory and streams ---------------------------------------------------------------

    def _entry(self, raw: bytes) -> Entry:
        name_len = struct.unpack_from("<H", raw, 64)[0]
        name = raw[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        start = struct.unpack_from("<I", raw, 116)[0]
        size = struct.unpack_from("<Q", raw, 120)[0]
        if self.major == 3:
            size &= 0xFFFFFFFF  # version 3 leaves the high half undefined
        return Entry(name, raw[66], start, size)

    def names(self) -> list[str]:
        return [e.name for e in self.entries if e.kind in (1, 2)]

    def stream(self, name: str, limit: int) -> bytes:
        """The bytes of the first stream called ``name`` (KeyError if none); at most ``limit``."""
        entry = next((e for e in self.entries if e.kind == 2 and e.name == name), None)
        if entry is None:
            raise KeyError(name)
        if entry.size > min(limit, len(self.data)):
            raise CfbError("stream larger than the file or the limit")
        if entry.size < self.cutoff:
            most = len(self._mini_stream()) // 64
            data = self._chain_bytes(entry.start, self._mini_fat(), self._mini_sector, most)
        else:
            data = self._chain_bytes(entry.start, self.fat, self._sector)
        if len(data) < entry.size:
            raise CfbError("stream shorter than its size")
        return data[: entry.size]

    def _mini_fat(self) -> list[int]:
        if self._minifat is None:
            raw = (
                b""
                if self._first_minifat == _ENDOFCHAIN
                else self._chain_bytes(self._first_minifat, self.fat, self._sector)
            )
            self._minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))
        return self._minifat

    def _mini_stream(self) -> bytes:
        if self._ministream is None:
            root = self.entries[0]
            if root.size > len(self.data):
                raise CfbError("mini stream larger than the file")
            stream = self._chain_bytes(root.start, self.fat, self._sector)
            self._ministream = stream[: root.size]
        return self._ministream

    def _mini_sector(self, n: int) -> bytes:
        piece = self._mini_stream()[n * 64 : n * 64 + 64]
        if len(piece) < 64:
            raise CfbError("mini sector outside the mini stream")
        return piece
