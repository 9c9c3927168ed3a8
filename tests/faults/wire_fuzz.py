"""Hypothesis strategies for MQTT payloads: valid ones drawn from the wire JSON Schema
(core.contract), and mutations of them that a broken or hostile car could send."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from core import contract
from core.wire import now_ms

MAX_ITEMS = 6  # arrays longer than this add time, not new kinds of input
HOUR_MS = 3_600_000
# Numbers that have broken JSON readers and databases elsewhere.
NASTY_NUMBERS = (-1, 0, 2**63, -(2**63) - 1, 2**64, 1e308, -1e308, 1e999, 0.1, 10**30)


# Timestamps an ingest believes (two hours up to the last full hour, so that a failing example
# replays within the hour); the schema alone draws mostly ancient ones.
NOW_MS = now_ms() // HOUR_MS * HOUR_MS
FRESH_TS = st.integers(NOW_MS - 2 * HOUR_MS, NOW_MS)


def from_schema(node: dict[str, Any], defs: dict[str, Any], name: str = "") -> st.SearchStrategy:
    """A strategy for documents valid against one JSON Schema node."""
    if "$ref" in node:
        return from_schema(defs[node["$ref"].rsplit("/", 1)[1]], defs, name)
    if "anyOf" in node:
        return st.one_of([from_schema(n, defs, name) for n in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        return _object(node, defs)
    if kind == "array":
        items = from_schema(node["items"], defs)
        return st.lists(items, min_size=node.get("minItems", 0),
                        max_size=min(node.get("maxItems", MAX_ITEMS), MAX_ITEMS))  # fmt: skip
    if kind == "integer":
        low, high = node.get("minimum"), node.get("maximum")
        plain = st.integers(low, high)
        return st.one_of(FRESH_TS, plain) if name == "ts" else plain
    if kind == "number":
        return st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False,
                         allow_infinity=False)  # fmt: skip
    if kind == "string":
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True)
        return st.text(max_size=40)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise ValueError(f"the fuzzer cannot draw from schema node {node}")


def _object(node: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy:
    properties = node.get("properties", {})
    if not properties and "propertyNames" in node:  # a map: freeze-frame values
        keys = st.sampled_from(node["propertyNames"]["enum"])
        return st.dictionaries(keys, from_schema(node["additionalProperties"], defs),
                               min_size=node.get("minProperties", 0), max_size=4)  # fmt: skip
    required = set(node.get("required", []))
    fields = {k: from_schema(v, defs, k) for k, v in properties.items()}

    @st.composite
    def draw(draw_one) -> dict[str, Any]:
        chosen = {k for k in fields if k in required or draw_one(st.booleans())}
        while len(chosen) < node.get("minProperties", 0):
            chosen.add(draw_one(st.sampled_from(sorted(set(fields) - chosen))))
        return {k: draw_one(fields[k]) for k in sorted(chosen)}

    return draw()


@cache
def valid_document(kind: str) -> st.SearchStrategy[Any]:
    """A document of this message kind, valid against its published schema."""
    schema = contract.schema(kind)
    return from_schema(schema, schema["$defs"])


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside doc (keys and list indexes)."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = _replace(doc[head], rest, value) if rest else value
    return copy


def _drop(doc: Any, path: tuple) -> Any:
    if len(path) == 1:
        copy = dict(doc) if isinstance(doc, dict) else list(doc)
        del copy[path[0]]
        return copy
    return _replace(doc, path[:1], _drop(doc[path[0]], path[1:]))


ODD_VALUES = st.one_of(
    st.sampled_from(NASTY_NUMBERS), st.none(), st.booleans(), st.text(max_size=20),
    st.just([]), st.just({}), st.just("NaN"), st.just("\u0000"), st.just("P03O1"),
)  # fmt: skip


@st.composite
def mutated_payload(draw, kind: str) -> bytes:
    """A payload of kind, valid, then (usually) broken in one of the ways a car can break it."""
    doc = draw(valid_document(kind))
    how = draw(st.sampled_from(MUTATIONS))
    if how == "none":
        return json.dumps(doc).encode()
    if how in ("replace", "drop", "add"):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths[1:] or paths))
        if how == "replace":
            doc = _replace(doc, path, draw(ODD_VALUES))
        elif how == "drop" and path:
            doc = _drop(doc, path)
        else:
            target = path[:-1] if path else ()
            parent = doc
            for key in target:
                parent = parent[key]
            if isinstance(parent, dict):
                doc = _replace(doc, (*target, draw(st.text(min_size=1, max_size=12))),
                               draw(ODD_VALUES))  # fmt: skip
        return json.dumps(doc, allow_nan=True).encode()
    raw = json.dumps(doc).encode()
    if how == "truncate":
        return raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    if how == "flip":
        i = draw(st.integers(0, len(raw) - 1))
        return raw[:i] + bytes([raw[i] ^ draw(st.integers(1, 255))]) + raw[i + 1 :]
    if how == "wrap":
        return b"[" + raw + b"]"
    if how == "junk":
        return draw(st.binary(max_size=64))
    if how == "nan":
        return raw.replace(b"}", b',"x":NaN}', 1)
    raise AssertionError(how)


MUTATIONS = ("none", "none", "replace", "drop", "add", "truncate", "flip", "wrap", "junk", "nan")
