"""The wire contract rendered for third parties: JSON Schemas and the generated doc tables.

`python -m core.contract` rewrites docs/schemas/*.schema.json and the generated blocks of
docs/wire-protocol.md from core.wire and core.signals; `--check` only reports what is stale.
Tests run the same check, so the published contract cannot drift from the code.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

import msgspec

from core import wire
from core.signals import SIGNAL_NAMES, SIGNALS, Signal

MAX_SEQ = 2**63 - 1  # sequence numbers are stored as bigint
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MESSAGE_TYPES: dict[str, type[msgspec.Struct]] = {
    "telemetry": wire.Telemetry,
    "dtc": wire.DtcReport,
    "status": wire.Status,
    "config": wire.VehicleConfig,
}
DOC_PATH = Path("docs/wire-protocol.md")
SCHEMA_DIR = Path("docs/schemas")
_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED (?P<name>[\w-]+) -->\n).*?(<!-- END GENERATED (?P=name) -->)",
    re.DOTALL,
)

# "Struct.field" -> (unit, meaning). Every field of every message must appear here: a field
# added to core.wire without a line here fails the contract test.
FIELD_DOCS: dict[str, tuple[str, str]] = {
    "Telemetry.samples": ("", "The batch: one or more samples of this car, oldest first"),
    "Sample.ts": ("ms since 1970-01-01 UTC", "When the values were read, by the car's clock"),
    "Sample.seq": ("count", "Per-car sequence number, one more for every sample"),
    "Sample.values": ("catalogue unit", "Signal name → value; only the signals read this time"),
    "DtcReport.ts": ("ms since 1970-01-01 UTC", "When the codes were read"),
    "DtcReport.stored": ("", "Confirmed trouble codes (mode 03), e.g. `P0301`"),
    "DtcReport.pending": ("", "Pending codes of the current or last drive cycle (mode 07)"),
    "DtcReport.mil": ("", "Malfunction indicator lamp is on; null when the car does not say"),
    "DtcReport.freeze_frame": ("", "Values stored with a code (mode 02), where the car has them"),
    "FreezeFrame.dtc": ("", "The code that stored the frame"),
    "FreezeFrame.values": ("catalogue unit", "Signal name → value when the code was set"),
    "Status.ts": ("ms since 1970-01-01 UTC", "When the agent wrote this status"),
    "Status.state": ("", "`online` (birth message) or `offline` (Last Will or clean stop)"),
    "Status.reason": ("", "Why the state changed, e.g. `connection lost`"),
    "Status.agent": ("", "The edge agent and its adapter"),
    "Status.buffer": ("", "The agent's on-disk buffer"),
    "Status.supported": ("", "Catalogue signals this car answers (from its supported-PID maps)"),
    "AgentInfo.version": ("", "Edge agent software version"),
    "AgentInfo.vin_source": (
        "",
        "`ecu`: read over mode 09; `configured`: the car reported no valid VIN, so the "
        "configured one is used",
    ),
    "AgentInfo.adapter": ("", "Adapter identification, e.g. `ELM327 v1.5`"),
    "AgentInfo.protocol": ("", "OBD protocol, e.g. `ISO 15765-4 (CAN 11/500)`"),
    "AgentInfo.note": ("", "Free text for the operator"),
    "BufferInfo.depth": ("messages", "Messages waiting on disk to be published"),
    "BufferInfo.dropped_telemetry": ("samples", "Samples dropped because the buffer was full"),
    "BufferInfo.dropped_events": (
        "messages",
        "DTC and status messages dropped (only once no telemetry was left to drop)",
    ),
    "VehicleConfig.version": ("", "Config revision; the sender raises it on every change"),
    "VehicleConfig.signals": ("s", "Signal name → sampling period; unlisted signals are not read"),
    "VehicleConfig.batch": ("", "When the agent publishes a batch"),
    "VehicleConfig.dtc_period_s": ("s", "How often to read the trouble codes"),
    "VehicleConfig.status_period_s": ("s", "How often to republish the status"),
    "BatchConfig.max_samples": ("samples", "Publish when this many samples wait …"),
    "BatchConfig.max_age_s": ("s", "… or when the oldest has waited this long"),
}


def _signal_values(with_ranges: bool) -> dict[str, Any]:
    if not with_ranges:
        return {
            "type": "object",
            "propertyNames": {"enum": list(SIGNAL_NAMES)},
            "additionalProperties": {"type": "number"},
        }
    return {
        "type": "object",
        "minProperties": 1,
        "properties": {
            s.name: {
                "type": "number",
                "minimum": s.minimum,
                "maximum": s.maximum,
                "description": f"{s.en} ({s.unit})",
            }
            for s in SIGNALS
        },
        "additionalProperties": False,
    }


def _refine(defs: dict[str, Any]) -> None:
    """Add what msgspec cannot see in the types: catalogue names, ranges, patterns, limits."""
    code = {"type": "string", "pattern": wire.DTC_CODE.pattern}
    for name in ("Sample", "DtcReport", "Status"):
        if name in defs:
            defs[name]["properties"]["ts"]["minimum"] = 0
    if "Sample" in defs:
        props = defs["Sample"]["properties"]
        props["seq"]["minimum"] = 0
        props["values"] = _signal_values(with_ranges=True)
        samples = defs["Telemetry"]["properties"]["samples"]
        samples.update(minItems=1, maxItems=wire.MAX_SAMPLES_PER_MESSAGE)
        props["seq"]["maximum"] = MAX_SEQ
    if "DtcReport" in defs:
        defs["DtcReport"]["properties"]["stored"]["items"] = code
        defs["DtcReport"]["properties"]["pending"]["items"] = code
    if "FreezeFrame" in defs:
        defs["FreezeFrame"]["properties"]["dtc"] = dict(code)
        defs["FreezeFrame"]["properties"]["values"] = _signal_values(with_ranges=False)
    if "Status" in defs:
        names = {"type": "array", "items": {"enum": list(SIGNAL_NAMES)}}
        defs["Status"]["properties"]["supported"]["anyOf"][0] = names
    if "BufferInfo" in defs:
        for prop in defs["BufferInfo"]["properties"].values():
            prop["minimum"] = 0
    if "VehicleConfig" in defs:
        defs["VehicleConfig"]["properties"]["signals"] = {
            "type": "object",
            "propertyNames": {"enum": list(SIGNAL_NAMES)},
            "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
        }
        for field in ("dtc_period_s", "status_period_s"):
            defs["VehicleConfig"]["properties"][field]["exclusiveMinimum"] = 0
        batch = defs["BatchConfig"]["properties"]
        batch["max_samples"].update(minimum=1, maximum=wire.MAX_SAMPLES_PER_MESSAGE)
        batch["max_age_s"]["exclusiveMinimum"] = 0


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one message kind, from core.wire and the catalogue."""
    generated = msgspec.json.schema(MESSAGE_TYPES[kind])
    defs = generated["$defs"]
    _refine(defs)
    for struct, definition in defs.items():
        for field, prop in definition["properties"].items():
            unit, meaning = FIELD_DOCS[f"{struct}.{field}"]
            prop["description"] = f"{meaning} [{unit}]" if unit else meaning
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:pitstop:wire:v{wire.PROTOCOL_VERSION}:{kind}",
        "title": f"Pitstop wire protocol v{wire.PROTOCOL_VERSION}: {kind} message",
        "description": f"Payload of {wire.TOPIC_ROOT}/{{vin}}/{kind}, JSON in UTF-8.",
        "$ref": generated["$ref"],
        "$defs": defs,
    }


def schema_text(kind: str) -> str:
    """The committed file content of one schema."""
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def _type_name(tp: object) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in args)
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in args)
    if origin is list:
        return f"array of {_type_name(args[0])}"
    if origin is dict:
        return f"object: {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    names: dict[object, str] = {int: "integer", float: "number", str: "string", bool: "boolean"}
    return "null" if tp is type(None) else names[tp]


def message_structs(root: type[msgspec.Struct]) -> list[type[msgspec.Struct]]:
    """The struct and every struct nested in it, in first-seen order."""
    found: list[type[msgspec.Struct]] = []

    def visit(tp: object) -> None:
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and tp not in found:
            found.append(tp)
            for field in msgspec.structs.fields(tp):
                visit(field.type)
        for arg in typing.get_args(tp):
            visit(arg)

    visit(root)
    return found


def render_fields(kind: str) -> str:
    """Markdown tables of every field of one message kind and the structs inside it."""
    parts = []
    for struct in message_structs(MESSAGE_TYPES[kind]):
        rows = ["| field | type | unit | required | meaning |", "| --- | --- | --- | --- | --- |"]
        for field in msgspec.structs.fields(struct):
            unit, meaning = FIELD_DOCS[f"{struct.__name__}.{field.name}"]
            if field.required:
                required = "yes"
            else:
                default = field.default_factory() if callable(field.default_factory) else None
                default = field.default if default is None else default
                required = f"no (default `{msgspec.json.encode(default).decode()}`)"
            rows.append(
                f"| `{field.encode_name}` | {_type_name(field.type)} | {unit} "
                f"| {required} | {meaning} |"
            )
        parts.append(f"#### {struct.__name__}\n\n" + "\n".join(rows))
    return "\n\n".join(parts)


def _number(value: float) -> str:
    return format(value, ",.10g")


def _pid(s: Signal) -> str:
    if s.pid.startswith("AT"):
        return f"`{s.pid}` (adapter command)"
    return f"{s.pid[:2]} / {s.pid[2:]}"


def render_signal_table() -> str:
    """The signal catalogue as a markdown table, one row per signal."""
    import obd

    rows = [
        "| python-OBD command | mode / PID | unit | COVESA VSS 6.0 path | plausible range "
        "| default period | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in SIGNALS:
        mark = "" if obd.commands.has_name(s.name) else " †"
        rows.append(
            f"| `{s.name}`{mark} | {_pid(s)} | {s.unit} | `{s.vss_path}` "
            f"| {_number(s.minimum)} … {_number(s.maximum)} | {_number(s.period_s)} s "
            f"| {s.en} / {s.zh} |"
        )
    return "\n".join(rows)


def render_limits() -> str:
    """The numeric limits of core.wire as a markdown list."""
    return "\n".join(
        [
            f"- Payload: at most {wire.MAX_PAYLOAD_BYTES:,} bytes (`MAX_PAYLOAD_BYTES`).",
            f"- Samples per telemetry message: at most {wire.MAX_SAMPLES_PER_MESSAGE:,} "
            "(`MAX_SAMPLES_PER_MESSAGE`).",
            f"- Timestamps: at most {wire.FUTURE_TOLERANCE_MS // 60_000} minutes ahead of the "
            "server clock (`FUTURE_TOLERANCE_MS`) and at most "
            f"{wire.MAX_AGE_MS // 86_400_000} days old (`MAX_AGE_MS`).",
            f"- Trouble codes: match `{wire.DTC_CODE.pattern}` (`DTC_CODE`).",
        ]
    )


def generated_blocks() -> dict[str, str]:
    """Name -> content of every generated block in docs/wire-protocol.md."""
    blocks = {"signals": render_signal_table(), "limits": render_limits()}
    for kind in MESSAGE_TYPES:
        blocks[f"fields-{kind}"] = render_fields(kind)
    return blocks


def update_document(text: str) -> str:
    """The document with every generated block replaced; ValueError when a block is missing."""
    blocks = generated_blocks()
    found = {m["name"] for m in _BLOCK.finditer(text)}
    if missing := sorted(set(blocks) - found):
        raise ValueError(f"{DOC_PATH} lacks the markers of the generated blocks {missing}")
    return _BLOCK.sub(lambda m: f"{m[1]}{blocks[m['name']]}\n{m[3]}", text)


def expected_files(root: Path) -> dict[Path, str]:
    """Every generated file under root with the content it must have."""
    files = {root / SCHEMA_DIR / f"{kind}.schema.json": schema_text(kind) for kind in MESSAGE_TYPES}
    files[root / DOC_PATH] = update_document((root / DOC_PATH).read_text(encoding="utf-8"))
    return files


def stale_files(root: Path) -> list[Path]:
    """Generated files under root whose content differs from a fresh rendering."""
    return [
        path
        for path, text in expected_files(root).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the schemas and the generated doc blocks."""
    parser = argparse.ArgumentParser(prog="python -m core.contract", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--check", action="store_true", help="fail when a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.root)
        for path in stale:
            print(f"stale: {path}; run python -m core.contract", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected_files(args.root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
