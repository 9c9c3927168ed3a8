"""The published wire contract (docs/wire-protocol.md, docs/schemas/) agrees with core.wire."""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path

import jsonschema
import msgspec
import obd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import contract, wire
from core.signals import SIGNALS
from core.vin import is_valid_vin

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / contract.DOC_PATH).read_text(encoding="utf-8")
EXAMPLE = re.compile(r"<!-- (example|rejected): (\S+) -->\n```json\n(.*?)\n```", re.DOTALL)
VIN_ROW = re.compile(r"^\| `([^`]+)` \| (yes|no) \|", re.MULTILINE)
EXAMPLES = [(m[1], m[2], m[3]) for m in EXAMPLE.finditer(DOC)]


@functools.cache
def committed_schema(kind: str) -> dict:
    return json.loads((ROOT / contract.SCHEMA_DIR / f"{kind}.schema.json").read_text())


@functools.cache
def validator(kind: str) -> jsonschema.Validator:
    schema = committed_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def ingest_problem(kind: str, payload: bytes) -> str | None:
    """What ingest's checks (core.wire) say about a payload, judged at the message's own time."""
    try:
        message = wire.decode(kind, payload)
    except wire.WireError as exc:
        return str(exc)
    if isinstance(message, wire.Telemetry):
        # ingest/batch.py adds these two message-level checks to core.wire's sample checks
        if not message.samples or len(message.samples) > wire.MAX_SAMPLES_PER_MESSAGE:
            return f"{len(message.samples)} samples"
        if any(s.seq > contract.MAX_SEQ for s in message.samples):
            return "sequence number beyond bigint"
        problems = [wire.sample_problem(s, now=s.ts) for s in message.samples]
        return next((p for p in problems if p), None)
    if isinstance(message, wire.DtcReport):
        return wire.dtc_problem(message, now=message.ts)
    return None


def test_committed_schemas_and_doc_tables_are_freshly_generated():
    assert contract.stale_files(ROOT) == [], "run: python -m core.contract"


def test_check_mode_notices_a_hand_edited_table(tmp_path):
    (tmp_path / "docs").mkdir()
    shutil.copytree(ROOT / contract.SCHEMA_DIR, tmp_path / contract.SCHEMA_DIR)
    edited = DOC.replace("| `RPM` |", "| `ENGINE_RPM` |", 1)
    assert edited != DOC
    (tmp_path / contract.DOC_PATH).write_text(edited, encoding="utf-8")
    assert contract.main(["--root", str(tmp_path), "--check"]) == 1
    assert contract.main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / contract.DOC_PATH).read_text(encoding="utf-8") == DOC


def test_a_document_without_markers_is_refused():
    with pytest.raises(ValueError, match="signals"):
        contract.update_document(DOC.replace("<!-- BEGIN GENERATED signals -->", ""))


def test_every_field_of_every_message_is_documented():
    fields = {
        f"{struct.__name__}.{field.name}"
        for kind in contract.MESSAGE_TYPES
        for struct in contract.message_structs(contract.MESSAGE_TYPES[kind])
        for field in msgspec.structs.fields(struct)
    }
    assert fields == set(contract.FIELD_DOCS)
    for kind, root in contract.MESSAGE_TYPES.items():
        rendered = contract.render_fields(kind)
        for struct in contract.message_structs(root):
            for field in msgspec.structs.fields(struct):
                assert f"| `{field.encode_name}` |" in rendered


def test_the_doc_has_an_example_of_every_kind_and_some_rejections():
    kinds = {wire.parse_topic(topic)[1] for verdict, topic, _ in EXAMPLES if verdict == "example"}
    assert kinds == set(contract.MESSAGE_TYPES)
    assert sum(verdict == "rejected" for verdict, _, _ in EXAMPLES) >= 5


@pytest.mark.parametrize(
    ("topic", "body"),
    [(t, b) for v, t, b in EXAMPLES if v == "example"],
    ids=lambda x: x if x.startswith("pitstop/") else "",
)
def test_documented_examples_validate_and_decode(topic, body):
    _, kind = wire.parse_topic(topic)
    validator(kind).validate(json.loads(body))
    assert ingest_problem(kind, body.encode()) is None
    message = wire.decode(kind, body.encode())
    assert wire.decode(kind, wire.encode(message)) == message


@pytest.mark.parametrize(
    ("topic", "body"),
    [(t, b) for v, t, b in EXAMPLES if v == "rejected"],
    ids=lambda x: x if x.startswith("pitstop/") else "",
)
def test_documented_rejections_fail_both_the_schema_and_ingest(topic, body):
    _, kind = wire.parse_topic(topic)
    assert not validator(kind).is_valid(json.loads(body))
    assert ingest_problem(kind, body.encode()) is not None


def test_vin_table_says_what_core_vin_does():
    rows = VIN_ROW.findall(DOC)
    assert len(rows) >= 8
    for vin, verdict in rows:
        assert is_valid_vin(vin) == (verdict == "yes"), vin
    assert {verdict for _, verdict in rows} == {"yes", "no"}


def test_signal_names_and_pids_are_python_obds():
    for s in SIGNALS:
        if obd.commands.has_name(s.name):
            assert obd.commands[s.name].command.decode() == s.pid, s.name
        else:
            assert f"| `{s.name}` † |" in DOC, f"{s.name} is not a python-OBD command; mark it"
        assert s.vss_path.startswith("Vehicle."), s.name
        assert f"`{s.vss_path}`" in DOC


_names = st.sampled_from([s.name for s in SIGNALS] + ["ENGINE_RPM", "rpm"])
_values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(min_value=-(10**6), max_value=10**10),
)


@settings(max_examples=300, deadline=None)
@given(
    samples=st.lists(
        st.fixed_dictionaries(
            {
                "ts": st.integers(1_700_000_000_000, 1_800_000_000_000),
                "seq": st.integers(-3, 2**64),
                "values": st.dictionaries(_names, _values, max_size=4),
            }
        ),
        max_size=3,
    )
)
def test_schema_and_ingest_agree_on_any_telemetry(samples):
    payload = json.dumps({"samples": samples})
    schema_ok = validator("telemetry").is_valid(json.loads(payload))
    assert schema_ok == (ingest_problem("telemetry", payload.encode()) is None)
