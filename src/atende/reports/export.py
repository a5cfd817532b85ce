"""Exports of a report or a list: CSV (streamed; UTF-8 with a BOM and ``;`` by default, as
Excel in Portuguese reads it) and XLSX (XlsxWriter in constant memory). A cell that a
spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) gets a ``'`` first (formula injection)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DELIMITERS = (";", ",")


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet shows it and never runs it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any, *, decimal_comma: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and decimal_comma:
        return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, (int, float)):
        return value
    return safe_text(str(value))


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ";"
) -> Iterator[bytes]:
    """The CSV, a chunk of lines at a time (a BOM first). With ``;`` decimals get a comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    decimal_comma = delimiter == ";"
    writer.writerow([safe_text(h) for h in header])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow([_cell(v, decimal_comma=decimal_comma) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def xlsx_file(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Relatório"
) -> IO[bytes]:
    """The XLSX in a temporary file (rewound), written row by row in constant memory."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, closed by file_chunks
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    for col, name in enumerate(header):
        ws.write_string(0, col, safe_text(name), bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                ws.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                ws.write_number(r, col, value)
            else:
                text = value.isoformat() if isinstance(value, datetime) else str(value)
                ws.write_string(r, col, safe_text(text))
    book.close()
    out.seek(0)
    return out


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
