"""Durable files: whole-file replacement and an append-only journal of JSON lines.

A file is replaced by writing a temporary file beside it, syncing it and renaming it
over the old one, so a crash leaves the old or the new file, never half of one. The
journal starts with a header line naming its generation; each later line is one
change, written in one piece and synced before the caller answers anyone. A line
cut short by a crash (never synced, so never acknowledged) is ignored when read.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADER_KIND = "w365desk sandbox journal"


class JournalError(ValueError):
    """The journal is damaged somewhere other than its last, unfinished line."""


def fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (POSIX; Windows has no directory handles)."""
    if os.name != "posix":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def _line(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class JournalContents:
    generation: int
    entries: list[dict[str, Any]]


def read_journal(path: Path) -> JournalContents | None:
    """The journal's generation and complete entries; None when there is no journal."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    # Whatever follows the last newline was being written when the process stopped.
    lines = data.split(b"\n")[:-1]
    if not lines:
        return None
    header = _parse(lines[0])
    generation = header.get("generation") if header is not None else None
    if header is None or header.get("kind") != HEADER_KIND or not isinstance(generation, int):
        raise JournalError("its first line is not a sandbox journal header")
    entries: list[dict[str, Any]] = []
    last = len(lines) - 1
    for number, line in enumerate(lines[1:], start=1):
        entry = _parse(line)
        if entry is None:
            if number == last:
                break  # the unsynced tail of a crash: never acknowledged, so never applied
            raise JournalError(f"line {number + 1} is damaged")
        entries.append(entry)
    return JournalContents(generation, entries)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


class JournalWriter:
    """Appends entries to a journal that ``start`` created fresh for one generation."""

    def __init__(self, path: Path, generation: int) -> None:
        self.path = path
        self.generation = generation
        self.entries = 0
        # Set when a failed append could not be cut back: the next write must start afresh.
        self.damaged = False
        self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - open until close()

    @classmethod
    def start(cls, path: Path, generation: int) -> JournalWriter:
        """Replace any journal at ``path`` with an empty one of ``generation``."""
        write_atomically(path, _line({"kind": HEADER_KIND, "generation": generation}))
        return cls(path, generation)

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry and sync it; on failure the journal is cut back to what it was."""
        data = _line(entry)
        offset = self._file.seek(0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                written = self._file.write(view)
                if not written:
                    raise OSError("the journal accepted no bytes")
                view = view[written:]
            os.fsync(self._file.fileno())
        except BaseException:
            try:
                self._file.truncate(offset)
                os.fsync(self._file.fileno())
            except OSError:
                self.damaged = True
            raise
        self.entries += 1

    def close(self) -> None:
        self._file.close()
