"""Scenario CSV import and export (the format of scenario-import-template.csv).

Pure: bytes in, scenarios and per-line problems out; scenarios in, CSV text out.
Columns: title, prompt, description, evaluator_context, mode, category, then optional
columns that set caller-profile fields (caller_name, risk, plan, means, homicidal, opening, ...,
see columns.py) or describe the scenario (skills, difficulty, estimated_minutes, one_time).
Columns the app does not know are named in ``CsvImport.ignored_columns`` and otherwise ignored.
Quoted multi-line fields, embedded quotes, a UTF-8 BOM and CRLF line ends are accepted.

Each imported scenario gets a stable id made from its title, so importing the
same file again updates rather than duplicates; two titles that make the same
id (they differ only after 60 characters, or in punctuation) get distinct ids. Cells starting with = + - @ are
written with a leading apostrophe on export (so a spreadsheet does not run them
as formulas) and that one apostrophe is removed again on import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

from .columns import OPTIONAL_COLUMNS, check_info_columns
from .model import FREE_ID, Scenario

BASE_COLUMNS = ("title", "prompt", "description", "evaluator_context", "mode", "category")
COLUMNS = BASE_COLUMNS + OPTIONAL_COLUMNS
REQUIRED = ("title", "prompt")
MODES = ("phone", "chat", "text")
DEFAULT_CATEGORY = "imported"
MAX_FILE_BYTES = 10 * 1024 * 1024
# At least as generous as the web trainer (title 255, evaluator context 50,000).
MAX_CHARS = {"title": 255, "prompt": 50_000, "description": 5_000, "evaluator_context": 50_000,
             "mode": 10, "category": 60, **dict.fromkeys(OPTIONAL_COLUMNS, 2_000)}
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsvFileError(ValueError):
    """The whole file is unusable (not text, no header, ...)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class CsvImport:
    scenarios: list[Scenario] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line each scenario started on
    problems: list[RowProblem] = field(default_factory=list)
    already_bundled: int = 0  # rows identical to a bundled scenario (an export of the library)
    ignored_columns: list[str] = field(default_factory=list)  # header names the app does not know


def build_scenario(*, id: str, title: str, prompt: str, description: str = "", evaluator_context: str = "",
                   mode: str = "phone", category: str = DEFAULT_CATEGORY,
                   columns: dict[str, str] | None = None) -> Scenario:
    """A playable scenario from the CSV fields: the profile the prompt states, and the optional
    columns on top (raises ValueError naming a column it cannot read)."""
    columns = {k: v for k, v in (columns or {}).items() if k in OPTIONAL_COLUMNS and v}
    return Scenario.from_prompt(prompt, title=title, id=id, category=category, description=description,
                                evaluator_context=evaluator_context, mode=mode, columns=columns)


def slug_for(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "scenario-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def distinct_id(scenario_id: str, title: str) -> str:
    """A stable id for ``title`` when its slug is taken by a different scenario."""
    return f"{scenario_id[:53].strip('-')}-{hashlib.sha1(title.encode()).hexdigest()[:6]}"


def parse_scenarios_csv(data: bytes, *, bundled: Iterable[Scenario] = ()) -> CsvImport:
    """Read a scenario CSV. Raises CsvFileError if the file as a whole is unusable;
    otherwise returns the good rows as scenarios and the bad ones as problems."""
    text = _decode(data)
    bundled = list(bundled)
    reserved = {FREE_ID, *(s.id for s in bundled)}
    bundled_texts = {(s.title, s.prompt) for s in bundled}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    result = CsvImport()
    header: list[str] | None = None
    seen: dict[str, tuple[int, str]] = {}
    previous_end = 0
    while True:
        line = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            previous_end = reader.line_num
            if header is None:
                raise CsvFileError(f"line {line}: cannot read the header row: {exc}") from None
            result.problems.append(RowProblem(line, f"not valid CSV: {exc}"))
            continue
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _header(row, line)
            result.ignored_columns = [name for name in header if name not in COLUMNS]
            continue
        outcome = _row(dict(zip(header, row)), len(row), len(header), reserved)
        if isinstance(outcome, str):
            result.problems.append(RowProblem(line, outcome))
        elif (outcome.title, outcome.prompt) in bundled_texts:
            result.already_bundled += 1
        elif outcome.id in seen and seen[outcome.id][1] == outcome.title:
            result.problems.append(RowProblem(line, f"same title as line {seen[outcome.id][0]}; titles name "
                                                    "scenarios, so rename one"))
        else:
            if outcome.id in seen:  # a different title with the same slug
                outcome = replace(outcome, id=distinct_id(outcome.id, outcome.title))
            seen[outcome.id] = (line, outcome.title)
            result.scenarios.append(outcome)
            result.lines.append(line)
    if header is None:
        raise CsvFileError("the file is empty: expected a header row " + ",".join(COLUMNS))
    return result


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError(f"the file is too large ({len(data):,} bytes; at most {MAX_FILE_BYTES:,})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvFileError(f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                           "save the file as UTF-8 CSV") from None
    if "\x00" in text:
        raise CsvFileError("this looks like a binary file, not CSV text (it contains NUL bytes)")
    if not text.strip():
        raise CsvFileError("the file is empty: expected a header row " + ",".join(COLUMNS))
    return text


def _header(row: list[str], line: int) -> list[str]:
    names = [cell.strip().lower() for cell in row]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        shown = ",".join(cell[:30] for cell in row[:6])
        raise CsvFileError(f"line {line}: expected a header row naming the columns {', '.join(COLUMNS)} "
                           f"(title and prompt are required), found {shown!r}")
    duplicated = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
    if duplicated:
        raise CsvFileError(f"line {line}: column(s) {', '.join(duplicated)} appear more than once")
    return names


def _row(cells: dict[str, str], found: int, expected: int, reserved: Collection[str]) -> Scenario | str:
    """A scenario, or the reason the row was skipped."""
    if found != expected:
        return f"expected {expected} fields, found {found} (a missing or extra comma, or a stray quote?)"
    values = {}
    for name in (name for name in COLUMNS if name in cells):
        value = _unescape(cells.get(name, "")).replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(value) > MAX_CHARS[name]:
            return f"{name} is too long ({len(value):,} characters; at most {MAX_CHARS[name]:,})"
        if _CONTROL.search(value):
            return f"{name} contains control characters"
        values[name] = value
    for name in BASE_COLUMNS:
        values.setdefault(name, "")
    for name in REQUIRED:
        if not values[name]:
            return f"{name} is empty"
    for name in ("title", "mode", "category"):
        if "\n" in values[name]:
            return f"{name} must be on one line"
    mode = values["mode"].lower() or "phone"
    if mode not in MODES:
        return f"mode must be one of {', '.join(MODES)} (or empty for phone), got {values['mode']!r}"
    problem = check_info_columns(values)
    if problem:
        return problem
    scenario_id = slug_for(values["title"])
    if scenario_id in reserved:
        scenario_id = f"{scenario_id}-imported"
    try:
        return build_scenario(id=scenario_id, title=values["title"], prompt=values["prompt"],
                              description=values["description"], evaluator_context=values["evaluator_context"],
                              mode=mode, category=values["category"] or DEFAULT_CATEGORY,
                              columns={name: values[name] for name in OPTIONAL_COLUMNS if values.get(name)})
    except ValueError as exc:
        return f"not a usable scenario: {exc}"


def _unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


def _escape(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def scenarios_to_csv(scenarios: Iterable[Scenario]) -> str:
    """The same CSV format as the import (CRLF line ends, every field quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in scenarios:
        base = (s.title, s.prompt, s.description, s.evaluator_context, s.mode, s.category)
        writer.writerow([_escape(v) for v in (*base, *(s.columns.get(name, "") for name in OPTIONAL_COLUMNS))])
    return out.getvalue()
