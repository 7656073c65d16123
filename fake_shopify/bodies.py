"""Request bodies read as JSON, within bounds: the one JSON reader of the wire layer.

Python's ``json`` module, used as is, lets a malformed body take the fake down or poison its
answers: it recurses once per level of nesting (a body of 100,000 brackets is a
``RecursionError``), converts integers of any length (5,000 digits exceed the int-string
conversion limit, a ``ValueError`` raised wherever the number is next printed or parsed),
turns ``1e999`` into ``inf`` and accepts ``NaN`` and ``Infinity`` (none of which a JSON answer
can carry back), and lets a ``\\ud800`` escape put a lone surrogate into a string (a
``UnicodeEncodeError`` as soon as the string is encoded). :func:`load_json` refuses all of these
with a :class:`MalformedBodyError` naming the reason, which the wire layer answers with
Shopify's 400.

Cost on the hot path: the checks run only when a cheap scan of the text says they could fail
(more brackets than the depth limit, a ``\\u`` escape or a raw surrogate); the number hooks run
once per number in the body.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

__all__ = ["DEFAULT_BODY_LIMITS", "BodyLimits", "MalformedBodyError", "load_json"]


@dataclass(frozen=True)
class BodyLimits:
    """Bounds on a JSON request body (REST bodies and GraphQL requests alike).

    Shopify documents neither value; both are the fake's and configurable
    (``FakeShopify(body_limits=BodyLimits(...))``).
    """

    max_depth: int = 100
    """Deepest nesting of arrays and objects. 100 is the default ``max_nesting`` of Ruby's json
    gem, which Shopify's Rails stack parses request bodies with; deeper is a 400 there too."""

    max_int_digits: int = 100
    """Longest integer literal, in digits. Below 640, the smallest int-string conversion limit
    Python accepts (``sys.set_int_max_str_digits``), so every integer the fake takes in can be
    printed again whatever the process sets."""

    def __post_init__(self) -> None:
        if self.max_depth < 1:
            raise ValueError(f"BodyLimits.max_depth must be >= 1, got {self.max_depth}")
        if not 1 <= self.max_int_digits <= 640:
            raise ValueError(
                f"BodyLimits.max_int_digits must be between 1 and 640, got {self.max_int_digits}"
            )


DEFAULT_BODY_LIMITS: Final = BodyLimits()


class MalformedBodyError(ValueError):
    """The body is not JSON the fake accepts; ``reason`` says why (``None``: not JSON at all)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "not valid JSON")
        self.reason = reason


# A JSON string token, or one structural bracket. An unterminated string matches nothing and its
# brackets are counted: such a body is refused either way.
_STRUCTURE: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)  # unrolled: fast
# A \u escape of a surrogate half, or a raw surrogate (bytes decoded with "surrogatepass", as
# json.loads decodes them).
_SURROGATE_HINT: Final = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def _check_depth(text: str, max_depth: int) -> None:
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > max_depth:
                raise MalformedBodyError(
                    f"nesting of {depth} is too deep (the limit is {max_depth})"
                )
        elif token == "]" or token == "}":
            depth -= 1


def _reject_constant(name: str) -> Any:
    raise MalformedBodyError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedBodyError(f"the number {text[:40]} is out of range")
    return value


@lru_cache(maxsize=16)
def _decoder(max_int_digits: int) -> json.JSONDecoder:
    def bounded_int(text: str) -> int:
        if len(text) - text.startswith("-") > max_int_digits:
            raise MalformedBodyError(f"an integer has more than {max_int_digits} digits")
        return int(text)

    return json.JSONDecoder(
        parse_int=bounded_int, parse_float=_finite, parse_constant=_reject_constant
    )


def _lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def load_json(body: bytes | str, limits: BodyLimits = DEFAULT_BODY_LIMITS) -> Any:
    """The JSON value of ``body``, or :class:`MalformedBodyError` (never another exception)."""
    if isinstance(body, bytes):
        try:
            text = body.decode(json.detect_encoding(body), "surrogatepass")
        except UnicodeDecodeError:
            raise MalformedBodyError() from None
    else:
        text = body
    max_depth = limits.max_depth
    if text.count("[") + text.count("{") > max_depth:
        _check_depth(text, max_depth)
    try:
        value = _decoder(limits.max_int_digits).decode(text)
    except MalformedBodyError:
        raise
    except RecursionError:  # a deep stack before the call, with a high configured limit
        raise MalformedBodyError(f"nesting is too deep (the limit is {max_depth})") from None
    except ValueError:  # json.JSONDecodeError included
        raise MalformedBodyError() from None
    hinted = ("\\u" in text or not text.isascii()) and _SURROGATE_HINT.search(text)
    if hinted and _lone_surrogate(value):
        raise MalformedBodyError("a string holds a lone UTF-16 surrogate")
    return value
