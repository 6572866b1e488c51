"""Reading a push request's JSON so that one bad entry cannot spoil the batch.

Python's parser refuses JSON nested deeper than its recursion limit (RecursionError), and
that failure would take the whole batch with it. `read_body` then finds each entry of the
`entries` array that nests too deep and puts a stub in its place ({"id": …, "unreadable":
"too_deep"}), so the others are read and applied and that one entry is refused alone.
Entries nested deeper than MAX_DEPTH but still readable are stubbed in the same way after
parsing. NaN, Infinity and numbers too large for a float are not JSON a tablet sends: the
request is refused as unreadable.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Depth of an entry's own value: an entry {…} holds a payload {…} holding, at most, the
# feedback form's answers {…}; 20 is far beyond any real entry.
MAX_DEPTH = 20
TOO_DEEP = "too_deep"
# Strings, and the characters that open, close or separate JSON values.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


class Unreadable(Exception):
    """The body is not JSON the server can read (syntax, encoding, NaN, overflow)."""


def _no_constants(name: str) -> Any:
    raise Unreadable(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unreadable(text)
    return value


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_no_constants, parse_float=_finite)


def read_body(raw: bytes) -> Any:
    """The parsed body, with entries nested too deep replaced by stubs. Raises Unreadable."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("encoding") from None
    try:
        body = _loads(text)
    except RecursionError:
        body = _loads_stubbing_deep_entries(text)
    except (ValueError, TypeError):
        raise Unreadable("syntax") from None
    if isinstance(body, dict) and isinstance(body.get("entries"), list):
        body["entries"] = [
            _stub(item.get("id")) if isinstance(item, dict) and _depth(item) > MAX_DEPTH else item
            for item in body["entries"]
        ]
    return body


def _stub(entry_id: Any) -> dict[str, Any]:
    return {"id": entry_id if isinstance(entry_id, str) else None, "unreadable": TOO_DEEP}


def _depth(value: Any) -> int:
    """How deep containers nest in `value` (iterative: the value may be deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in items)
    return deepest


def _loads_stubbing_deep_entries(text: str) -> Any:
    """Parse `text` after replacing each too-deep element of the top-level `entries` array
    with a stub; Unreadable when the depth lies elsewhere or the text is not JSON."""
    spans: list[tuple[int, int, Any]] = []
    depth = 0
    key = None  # the last string at depth 1 (a key of the top-level object)
    in_entries = False
    entry_start = 0
    entry_deepest = 0
    entry_id: Any = None
    previous: list[str] = []  # the last tokens at entry depth, to read its "id"
    for match in _TOKENS.finditer(text):
        tok = match.group()
        if tok in "{[":
            depth += 1
            if depth == 2 and tok == "[" and key == '"entries"':
                in_entries = True
            elif in_entries and depth == 3:
                entry_start, entry_deepest, entry_id, previous = match.start(), 3, None, []
            elif in_entries:
                entry_deepest = max(entry_deepest, depth)
            elif depth > MAX_DEPTH:
                raise Unreadable("depth")
        elif tok in "}]":
            if in_entries and depth == 3 and entry_deepest - 2 > MAX_DEPTH:
                spans.append((entry_start, match.end(), entry_id))
            if in_entries and depth == 2:
                in_entries = False
            depth -= 1
        elif depth == 1 and tok.startswith('"'):
            key = tok
        elif in_entries and depth == 3:
            previous = [*previous[-2:], tok]
            if previous[:2] == ['"id"', ":"] and len(previous) == 3 and tok.startswith('"'):
                try:
                    entry_id = json.loads(tok)
                except ValueError:
                    entry_id = None
    if not spans:
        raise Unreadable("depth")
    pieces, last = [], 0
    for start, end, entry_id in spans:
        pieces.extend((text[last:start], json.dumps(_stub(entry_id))))
        last = end
    pieces.append(text[last:])
    try:
        return _loads("".join(pieces))
    except (RecursionError, ValueError, TypeError):
        raise Unreadable("depth") from None
