"""CSV records with the physical line each starts on, and the header row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from w365desk.services.accounts.importing.fileformat import (
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    normalize_column_name,
)
from w365desk.services.accounts.importing.report import ProblemList, shown


def read_records(text: str, problems: ProblemList) -> Iterator[tuple[int, list[str]]]:
    """(starting line, values) for each CSV record; unreadable records become problems."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel", strict=True)
    line_before = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            start = line_before + 1
            if "unexpected end of data" in str(error) or "field limit" in str(error):
                # Everything after an unclosed quote is one runaway value: stop here.
                problems.add(
                    start, "A quoted value that starts on this line is never closed with '\"'."
                )
                return
            problems.add(start, _csv_error_message(error))
            line_before = reader.line_num
            continue
        yield line_before + 1, values
        line_before = reader.line_num


def _csv_error_message(error: csv.Error) -> str:
    text = str(error)
    if "expected after" in text:
        return (
            "A quoted value must be followed by a comma or the end of the line; a quote "
            'inside a value is written twice ("").'
        )
    if "NUL" in text:
        return "This line contains a NUL character; the file may not be a CSV text file."
    return f"This line is not valid CSV ({text})."


def parse_header(values: list[str], problems: ProblemList) -> list[str] | None:
    columns = [normalize_column_name(value) for value in values]
    seen: dict[str, int] = {}
    for position, (raw, column) in enumerate(zip(values, columns, strict=True), start=1):
        if not column:
            continue  # spreadsheets add unnamed trailing columns; their cells must be empty
        if column not in IMPORT_COLUMNS:
            problems.add(
                1,
                f"Unknown column {shown(raw.strip())} (column {position}). "
                f"Known columns: {', '.join(IMPORT_COLUMNS)}.",
                column,
            )
        elif column in seen:
            problems.add(
                1, f"Column {column} appears twice (columns {seen[column]} and {position}).", column
            )
        else:
            seen[column] = position
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            problems.add(1, f"The header has no {required} column; it is required.", required)
    return None if problems else columns
