"""A report as CSV (RFC 4180: comma, CRLF, quotes doubled) that a spreadsheet opens safely: a text
cell starting with = + - @ (or a tab or carriage return) would be run as a formula by Excel or
LibreOffice, so it gets a leading apostrophe and stays text."""

from __future__ import annotations

import csv
import io
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SKIP = {"start"}  # the interval's label says it, in the tenant's time zone


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 4))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):  # wrap-up codes: "code: n; other: m"
        return neutralise("; ".join(f"{k}: {v}" for k, v in value.items()))
    return neutralise(str(value))


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows of one report (all with the same keys) with a header row."""
    if not rows:
        return ""
    columns = [c for c in rows[0] if c not in SKIP]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # QUOTE_MINIMAL: quotes what holds , " or a line break
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()
