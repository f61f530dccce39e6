"""The text of a ``--json`` document: exactly ``json.dumps(doc, indent=2, default=str)``, faster.

With ``indent`` the standard library encodes in Python, a generator per container and a few
``yield``s per value: for `status --json` of 10,000 migrations that took longer than printing the
whole table. This writes the same text with one join per container (one ``%`` per record in a
list of dicts with the same keys) and the C string encoder (``encode_basestring_ascii``, what
``ensure_ascii`` uses). The rules are the standard encoder's, in its order: ``str`` (subclasses
too), ``None``, ``True``, ``False``, ``int``, ``float``, ``list``/``tuple``, ``dict``, anything
else through ``str()`` (the ``default``). Dict keys may be ``str``, ``int``, ``float``, ``bool``
or ``None``, as there; others are a ``TypeError``, as there. tests/cli/test_output_text.py holds
it to ``json.dumps``.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring_ascii as _string
from typing import Any

__all__ = ["Records", "dumps"]

_INDENT = "  "


class Records:
    """A list of dicts that share their keys, given as the keys and one tuple of values per dict:
    written exactly as that list of dicts, without building them (`status --json`: 10,000)."""

    __slots__ = ("keys", "rows")

    def __init__(self, keys: tuple[str, ...], rows: list[tuple]) -> None:
        self.keys, self.rows = keys, rows

    def as_list(self) -> list[dict]:
        return [dict(zip(self.keys, row)) for row in self.rows]


def dumps(doc: Any) -> str:
    """``json.dumps(doc, indent=2, default=str)``."""
    return _value(doc, "\n")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _null(_value: None) -> str:
    return "null"


def _bool(value: bool) -> str:
    return "true" if value else "false"


#: the text of a value by its exact type: one dict lookup for nearly every value
_EXACT: dict[type, Any] = {str: _string, int: int.__repr__, type(None): _null, bool: _bool, float: _float}
#: what a subclass of these is written as (then remembered in ``_EXACT`` by its type)
_BASES: tuple[tuple[type, Callable[[Any], str]], ...] = ((str, _string), (int, int.__repr__), (float, _float))


def _scalar(value: Any) -> str | None:
    """The text of a value that is no container (None: it is a list, tuple or dict)."""
    kind = type(value)
    exact = _EXACT.get(kind)
    if exact is not None:
        return exact(value)
    # subclasses (StrEnum, IntEnum) in the standard encoder's order; remembered by type
    for base, convert in _BASES:
        if isinstance(value, base):
            _EXACT[kind] = convert
            return convert(value)
    if isinstance(value, (list, tuple, dict)):
        return None
    return _string(str(value))  # default=str: the text is then encoded as a string


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _string(key)
    if isinstance(key, float):
        return _string(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return _string(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _value(value: Any, newline: str) -> str:
    """``value`` as it stands at the indentation ``newline`` ("\\n" + spaces) marks."""
    kind = type(value)
    if kind is dict:
        return _dict(value, newline)
    if kind is list:
        return _list(value, newline)
    if kind is Records:
        return _records(value, newline)
    text = _scalar(value)
    if text is not None:
        return text
    return _dict(value, newline) if isinstance(value, dict) else _list(value, newline)


def _list(values: list | tuple, newline: str) -> str:
    if not values:
        return "[]"
    inner = newline + _INDENT
    deeper = inner + _INDENT
    exact = _EXACT.get
    parts = []
    keys: tuple | None = None
    template: str | None = None
    for item in values:
        if type(item) is dict and item:  # a list of records (status: 10,000 with the same keys)
            if keys is None or tuple(item) != keys:
                keys = tuple(item)
                template = _record_template(keys, inner)
            if template is not None:  # the keys' text made once; one % per record
                parts.append(template % tuple([convert(v) if (convert := exact(type(v))) is not None
                                               else _value(v, deeper) for v in item.values()]))
                continue
        convert = exact(type(item))
        parts.append(convert(item) if convert is not None else _value(item, inner))
    return "[" + inner + ("," + inner).join(parts) + newline + "]"


def _records(records: Records, newline: str) -> str:
    inner = newline + _INDENT
    template = _record_template(records.keys, inner)
    if not records.rows or template is None or not records.keys:
        return _list(records.as_list(), newline)
    deeper = inner + _INDENT
    exact = _EXACT.get
    parts = [template % tuple([convert(v) if (convert := exact(type(v))) is not None else _value(v, deeper)
                               for v in row]) for row in records.rows]
    return "[" + inner + ("," + inner).join(parts) + newline + "]"


def _record_template(keys: tuple, newline: str) -> str | None:
    """What ``_dict`` writes for a dict with these keys at ``newline``, its values as ``%s``
    (None when a key is no ``str``: ``_dict`` converts those)."""
    if not all(type(key) is str for key in keys):
        return None
    inner = newline + _INDENT
    return "{" + inner + ("," + inner).join(_string(key).replace("%", "%%") + ": %s" for key in keys) + newline + "}"


def _dict(values: dict, newline: str) -> str:
    if not values:
        return "{}"
    inner = newline + _INDENT
    exact = _EXACT.get
    parts = [(_string(key) if type(key) is str else _key(key)) + ": "
             + (convert(item) if (convert := exact(type(item))) is not None else _value(item, inner))
             for key, item in values.items()]
    return "{" + inner + ("," + inner).join(parts) + newline + "}"
