"""Reading ksqlDB's case files as its TestCaseBuilder does: ``//`` comments, exact decimals,
disabled cases left out, one case per ``format`` and per ``config`` value; and which cases need a
schema registry (the runner counts those as unsupported)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

REGISTRY_FORMATS = re.compile(
    r"(?i)\b(?:value_format|key_format|format)\s*=\s*'(?:avro|protobuf|json_sr)'"
)


def _strip_comments(text: str) -> str:
    # `//` comments outside strings (the upstream files have them; ours are plain JSON).
    out, in_string, escaped, i = [], False, False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            escaped = char == "\\" and not escaped
            if char == '"' and not escaped:
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def load_cases(paths: Sequence[Path]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every case of every JSON file under the paths, with its file."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    for file in files:
        # Exact decimals, as ksqlDB's test mapper reads them (USE_BIG_DECIMAL_FOR_FLOATS).
        data = json.loads(_strip_comments(file.read_text()), parse_float=Decimal)
        for case in data.get("tests", []):
            if case.get("enabled") is not False:
                yield file, case


def needs_schema_registry(case: dict[str, Any]) -> bool:
    """Whether a case uses AVRO, PROTOBUF or JSON_SR (which need a schema registry)."""
    text = " ".join(case.get("statements", []))
    if REGISTRY_FORMATS.search(text):
        return True
    formats = {str(f).upper() for f in case.get("format", [])}
    # PROTOBUF_NOSR needs no registry: those cases run (and fail until it is supported).
    if formats & {"AVRO", "PROTOBUF", "JSON_SR"}:
        return True
    for topic in case.get("topics", []):
        if any(k in topic for k in ("keySchema", "valueSchema", "schema")):
            return True
    return bool(case.get("testPullWithProtoFormat"))


def expand(case: dict[str, Any]) -> list[dict[str, Any]]:
    """One case per format and per ``config`` value (ksqlDB's TestCaseBuilder)."""
    out = []
    for fmt in case.get("format") or [None]:
        expanded = case
        if fmt is not None:
            expanded = json.loads(
                json_text(case).replace("{FORMAT}", str(fmt)), parse_float=Decimal
            )
            expanded["name"] = f"{case['name']} - {fmt}"
            expanded.pop("format", None)
        configs = expanded.get("config") or []
        if not configs:
            out.append(expanded)
            continue
        properties = expanded.get("properties", {})
        (slot,) = [k for k, v in properties.items() if str(v).upper() == "{CONFIG}"]
        for value in configs:
            out.append(
                {
                    **expanded,
                    "name": f"{expanded['name']} - {slot}={value}",
                    "properties": {**properties, slot: value},
                }
            )
    return out


def json_text(value: Any) -> str:
    """JSON with decimals written exactly (as ksqlDB's test serializer writes BigDecimal)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    return json.dumps(value)
