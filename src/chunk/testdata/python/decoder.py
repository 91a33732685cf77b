"""Implementation of a small JSON decoder, in the style of json.decoder."""
import re
import sys
from typing import Any, Callable, Optional

__all__ = ["JSONDecoder", "JSONDecodeError"]

FLAGS = re.VERBOSE | re.MULTILINE | re.DOTALL
NUMBER_RE = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?", FLAGS)
WHITESPACE = re.compile(r"[ \t\n\r]*", FLAGS)


class JSONDecodeError(ValueError):
    """Subclass of ValueError with the position of the error."""

    def __init__(self, msg, doc, pos):
        lineno = doc.count("\n", 0, pos) + 1
        colno = pos - doc.rfind("\n", 0, pos)
        super().__init__(f"{msg}: line {lineno} column {colno} (char {pos})")
        self.msg = msg
        self.doc = doc
        self.pos = pos
        self.lineno = lineno
        self.colno = colno


# Escapes understood inside strings.
BACKSLASH = {
    '"': '"', "\\": "\\", "/": "/",
    "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
}


def _decode_uXXXX(s, pos):
    esc = s[pos + 1:pos + 5]
    if len(esc) == 4 and esc[1] not in "xX":
        try:
            return int(esc, 16)
        except ValueError:
            pass
    raise JSONDecodeError("Invalid \\uXXXX escape", s, pos)


def scan_string(s, end, strict=True):
    """Scan the string s for a JSON string, starting after the quote at end - 1.

    Returns a tuple of the decoded string and the index of the character after
    the closing quote.
    """
    chunks = []
    begin = end - 1
    while True:
        terminator = s.find('"', end)
        backslash = s.find("\\", end)
        if terminator < 0:
            raise JSONDecodeError("Unterminated string starting at", s, begin)
        if backslash < 0 or terminator < backslash:
            chunks.append(s[end:terminator])
            return "".join(chunks), terminator + 1
        chunks.append(s[end:backslash])
        esc = s[backslash + 1:backslash + 2]
        if esc == "u":
            uni = _decode_uXXXX(s, backslash + 1)
            chunks.append(chr(uni))
            end = backslash + 6
            continue
        try:
            chunks.append(BACKSLASH[esc])
        except KeyError:
            raise JSONDecodeError(f"Invalid \\escape: {esc!r}", s, backslash) from None
        end = backslash + 2


class JSONDecoder(object):
    """Simple JSON decoder.

    Performs the following translations in decoding by default: objects to dicts,
    arrays to lists, strings to str, numbers to int or float, true/false to
    True/False and null to None.
    """

    default_strict = True

    def __init__(self, *, object_hook: Optional[Callable] = None, strict: bool = True):
        self.object_hook = object_hook
        self.strict = strict
        self.memo = {}

    def decode(self, s: str) -> Any:
        """Return the Python representation of the JSON document s."""
        obj, end = self.raw_decode(s, idx=WHITESPACE.match(s, 0).end())
        end = WHITESPACE.match(s, end).end()
        if end != len(s):
            raise JSONDecodeError("Extra data", s, end)
        return obj

    def raw_decode(self, s: str, idx: int = 0):
        """Decode a JSON document from s, starting at idx; return (value, end)."""
        try:
            return self._scan_value(s, idx)
        except StopIteration as err:
            raise JSONDecodeError("Expecting value", s, err.value) from None

    def _scan_value(self, s, idx):
        if idx >= len(s):
            raise StopIteration(idx)
        nextchar = s[idx]
        if nextchar == '"':
            return scan_string(s, idx + 1, self.strict)
        if nextchar == "{":
            return self._scan_object(s, idx + 1)
        if nextchar == "[":
            return self._scan_array(s, idx + 1)
        if s.startswith("null", idx):
            return None, idx + 4
        if s.startswith("true", idx):
            return True, idx + 4
        if s.startswith("false", idx):
            return False, idx + 5
        match = NUMBER_RE.match(s, idx)
        if match is None:
            raise StopIteration(idx)
        integer, frac, exp = match.groups()
        if frac or exp:
            return float(integer + (frac or "") + (exp or "")), match.end()
        return int(integer), match.end()

    def _scan_object(self, s, idx):
        pairs = {}
        idx = WHITESPACE.match(s, idx).end()
        if s[idx:idx + 1] == "}":
            return self._hook(pairs), idx + 1
        while True:
            if s[idx:idx + 1] != '"':
                raise JSONDecodeError("Expecting property name", s, idx)
            key, idx = scan_string(s, idx + 1, self.strict)
            key = self.memo.setdefault(key, key)
            idx = WHITESPACE.match(s, idx).end()
            if s[idx:idx + 1] != ":":
                raise JSONDecodeError("Expecting ':' delimiter", s, idx)
            idx = WHITESPACE.match(s, idx + 1).end()
            value, idx = self._scan_value(s, idx)
            pairs[key] = value
            idx = WHITESPACE.match(s, idx).end()
            if s[idx:idx + 1] == "}":
                return self._hook(pairs), idx + 1
            if s[idx:idx + 1] != ",":
                raise JSONDecodeError("Expecting ',' delimiter", s, idx)
            idx = WHITESPACE.match(s, idx + 1).end()

    def _scan_array(self, s, idx):
        values = []
        idx = WHITESPACE.match(s, idx).end()
        if s[idx:idx + 1] == "]":
            return values, idx + 1
        while True:
            value, idx = self._scan_value(s, idx)
            values.append(value)
            idx = WHITESPACE.match(s, idx).end()
            if s[idx:idx + 1] == "]":
                return values, idx + 1
            if s[idx:idx + 1] != ",":
                raise JSONDecodeError("Expecting ',' delimiter", s, idx)
            idx = WHITESPACE.match(s, idx + 1).end()

    def _hook(self, pairs):
        return self.object_hook(pairs) if self.object_hook else pairs


def loads(s, **kw):
    return JSONDecoder(**kw).decode(s)


if __name__ == "__main__":
    print(loads(sys.stdin.read()))
