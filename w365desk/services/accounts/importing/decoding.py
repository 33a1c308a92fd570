"""Reading an import file's bytes as text, and the fingerprint the audit trail keeps of it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO, TextIO

from w365desk.services.accounts.importing.report import ImportProblem

ImportSource = str | os.PathLike[str] | TextIO | BinaryIO


def read_text(source: ImportSource) -> tuple[str, str]:
    """The file's text without a byte-order mark, and the SHA-256 of what was read."""
    if isinstance(source, str | os.PathLike):
        try:
            content: str | bytes = Path(source).read_bytes()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise UnreadableFile(
                ImportProblem(None, f"The file {Path(source).name} could not be read ({reason}).")
            ) from None
    else:
        try:
            content = source.read()
        except UnicodeDecodeError:
            raise UnreadableFile(
                ImportProblem(None, "The file is not UTF-8 text; save it as CSV UTF-8.")
            ) from None
    if isinstance(content, str):
        digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
        return content.removeprefix("\ufeff"), digest
    digest = hashlib.sha256(content).hexdigest()
    try:
        return content.decode("utf-8-sig"), digest
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise UnreadableFile(
            ImportProblem(
                line,
                f"The file is not UTF-8 text (byte 0x{content[error.start]:02X} cannot be "
                'read). In Excel, save it as "CSV UTF-8 (Comma delimited)".',
            )
        ) from None


class UnreadableFile(Exception):
    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def source_name(source: ImportSource) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return str(getattr(source, "name", "(text stream)"))
