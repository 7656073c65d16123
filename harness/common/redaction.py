"""Secrets of a configuration, the forms they leak in, and their redaction.

A secret is the value of the configuration's token key (``access_token`` by default) or of any
key named like a token, secret, password or key (property ``no_secret_leak``), and
every token the fake provisions during a run (a rotated token keeps its key's name).

``ENCODERS`` is the one list of encodings the harness knows. Detection (``no_secret_leak``,
through :meth:`Redactor.find`) and redaction (every artifact the harness writes: reports,
evidence, scenario files, the command line's output) both build their spellings from it, so a
form that is detected is also scrubbed, and the other way round:

======================  ==========================================================="""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote

SECRET_KEY_PATTERN = re.compile(r"token|secret|password|passwd|key", re.IGNORECASE)
"""Configuration keys whose values are secrets (besides the configured token key)."""

MIN_SECRET_LENGTH = 6
"""Shorter values are not treated as secrets: they would match ordinary text by chance."""


@dataclass(frozen=True)
class SecretForm:
    """One spelling of one secret: ``name`` is the configuration key, ``form`` the encoding."""

    name: str
    form: str  # a name of ENCODERS
    text: str


def secret_values(
    configuration: Mapping[str, object], *, token_key: str = "access_token"
) -> dict[str, str]:
    """The secrets of ``configuration``: key -> value, for string values long enough to matter.

    Nested mappings and lists are walked too: a nested secret is named by its dotted key path
    (``extra.apiSecret``, ``keys.0``), and everything under a key named like a secret counts.
    """
    found: dict[str, str] = {}
    for key, value in configuration.items():
        _walk(found, str(key), value, secret=key == token_key or _is_secret_name(key))
    return found


def _is_secret_name(key: object) -> bool:
    return isinstance(key, str) and SECRET_KEY_PATTERN.search(key) is not None


def _walk(found: dict[str, str], path: str, value: object, *, secret: bool) -> None:
    if isinstance(value, str):
        if secret and len(value) >= MIN_SECRET_LENGTH:
            found[path] = value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _walk(found, f"{path}.{key}", inner, secret=secret or _is_secret_name(key))
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _walk(found, f"{path}.{index}", inner, secret=secret)


# --- the encoders ---------------------------------------------------------------------------


def _raw(secret: str) -> Iterable[str]:
    return (secret,)


def _url(secret: str) -> Iterable[str]:
    every_byte = "".join(f"%{byte:02X}" for byte in secret.encode("utf-8", "surrogatepass"))
    return (quote(secret, safe=""), quote(secret), quote_plus(secret), every_byte)


def _json(secret: str) -> Iterable[str]:
    escaped = json.dumps(secret)[1:-1]
    utf8 = json.dumps(secret, ensure_ascii=False)[1:-1]
    return (escaped, utf8, escaped.replace("/", "\\/"))


def _unicode_escape(secret: str) -> Iterable[str]:
    units = secret.encode("utf-16-be", "surrogatepass")
    per_char = "".join(
        f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
    )
    per_byte = "".join(f"\\x{byte:02x}" for byte in secret.encode("utf-8", "surrogatepass"))
    return (per_char, per_byte)


def _html(secret: str) -> Iterable[str]:
    return (
        html.escape(secret, quote=True),
        "".join(f"&#{ord(ch)};" for ch in secret),
        "".join(f"&#x{ord(ch):x};" for ch in secret),
    )


def _hex(secret: str) -> Iterable[str]:
    return (secret.encode("utf-8", "surrogatepass").hex(),)


def _base64_cores(data: bytes) -> list[str]:
    """Base64 spellings of ``data`` as they appear inside a longer encoded text.

    Embedded in a larger blob, the data starts at any of three byte alignments; for each, the
    characters fully determined by the data's own bytes are stable, the edges are not.
    """
    cores: list[str] = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        start = (shift * 8 + 5) // 6  # drop the characters that mix in the bytes before
        end = (shift + len(data)) * 8 // 6  # and after the data
        core = encoded[start:end]
        if len(core) >= MIN_SECRET_LENGTH:
            cores.append(core)
    return cores


def _base64(secret: str) -> Iterable[str]:
    for core in _base64_cores(secret.encode("utf-8", "surrogatepass")):
        yield core
        yield core.replace("+", "-").replace("/", "_")


def _double_base64(secret: str) -> Iterable[str]:
    for inner in _base64(secret):
        for core in _base64_cores(inner.encode()):
            yield core
            yield core.replace("+", "-").replace("/", "_")


Encoder = Callable[[str], Iterable[str]]

ENCODERS: tuple[tuple[str, Encoder], ...] = (
    ("raw", _raw),
    ("url", _url),
    ("json", _json),
    ("unicode-escape", _unicode_escape),
    ("html", _html),
    ("hex", _hex),
    ("base64", _base64),
    ("double-base64", _double_base64),
)
"""Every encoding the harness detects and redacts, in order of preference for a form's name."""


def secret_forms(name: str, secret: str) -> list[SecretForm]:
    """Every spelling of ``secret`` that the harness looks for, longest first (one per text,
    compared without letter case; the first encoder to produce a spelling names it)."""
    return list(_secret_forms(name, secret))


@functools.lru_cache(maxsize=256)
def _secret_forms(name: str, secret: str) -> tuple[SecretForm, ...]:
    spellings: dict[str, tuple[str, str]] = {}
    for form, encode in ENCODERS:
        for text in encode(secret):
            if len(text) >= MIN_SECRET_LENGTH:
                spellings.setdefault(text.lower(), (form, text))
    forms = [SecretForm(name=name, form=form, text=text) for form, text in spellings.values()]
    return tuple(sorted(forms, key=lambda f: (-len(f.text), f.text)))


# --- decoding views (mixed encodings) ---------------------------------------------------------

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})")


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return chr(int(code, 16))

    decoded = _ESCAPE.sub(one, text)
    try:  # surrogate pairs written as two \u escapes
        return decoded.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeError:
        return decoded


_DECODERS: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("url", "%", unquote),
    ("html", "&", html.unescape),
    ("unicode-escape", "\\", _unescape),
)

MAX_DECODING_DEPTH = 3
"""Encodings nested deeper than this (a percent-encoded, HTML-escaped, unicode-escaped base64
token) are not unwrapped."""


def _decoded_views(text: str) -> list[tuple[str, str]]:
    """``(decoders, decoded text)`` for each chain of decodings that changes ``text``
    (percent, HTML entities, ``\\u``/``\\x`` escapes, nested up to ``MAX_DECODING_DEPTH``)."""
    views: list[tuple[str, str]] = []
    frontier = [("", text)]
    seen = {text}
    for _ in range(MAX_DECODING_DEPTH):
        following: list[tuple[str, str]] = []
        for chain, current in frontier:
            for name, trigger, decode in _DECODERS:
                if trigger not in current:
                    continue
                decoded = decode(current)
                if decoded in seen:
                    continue
                seen.add(decoded)
                step = f"{chain}+{name}" if chain else name
                views.append((step, decoded))
                following.append((step, decoded))
        frontier = following
        if not frontier:
            break
    return views


_ESCAPE_CHARS = ("%", "\\", "&")

MEMO_SIZE = 4096
"""Texts whose findings a redactor remembers (log lines and URLs repeat across examples)."""


@dataclass(frozen=True)
class Leak:
    """A secret found in a text."""

    name: str
    form: str


class Redactor:
    """Finds and replaces every known secret, in every form, with ``<name>`` placeholders."""

    def __init__(self, secrets: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        items = secrets.items() if isinstance(secrets, Mapping) else secrets
        self._forms: list[SecretForm] = []
        # Forms that hold an escape character are looked for only in texts that hold it too.
        self._plain: list[tuple[str, SecretForm]] = []
        self._escaped: list[tuple[str, str, SecretForm]] = []  # (escape char, lowered, form)
        self._seen: set[tuple[str, str]] = set()
        self._pattern: re.Pattern[str] | None = None
        self._by_text: dict[str, SecretForm] = {}
        self._memo: dict[str, tuple[Leak, ...]] = {}
        for name, value in items:
            self.add(name, value)

    @classmethod
    def shared(cls, secrets: Iterable[tuple[str, str]]) -> Redactor:
        """One redactor per set of secrets, reused across runs (do not :meth:`add` to it)."""
        return _shared_redactor(tuple(secrets))

    def add(self, name: str, value: str) -> None:
        """Learn one more secret (a rotated token keeps its key's name)."""
        if len(value) < MIN_SECRET_LENGTH or (name, value) in self._seen:
            return
        self._seen.add((name, value))
        self._forms.extend(secret_forms(name, value))
        self._forms.sort(key=lambda f: (-len(f.text), f.text))
        self._plain = []
        self._escaped = []
        for form in self._forms:
            lowered = form.text.lower()
            escape = next((ch for ch in _ESCAPE_CHARS if ch in lowered), None)
            if escape is None:
                self._plain.append((lowered, form))
            else:
                self._escaped.append((escape, lowered, form))
        self._pattern = None
        self._memo = {}

    @property
    def secrets(self) -> list[tuple[str, str]]:
        return sorted(self._seen)

    @property
    def forms(self) -> list[SecretForm]:
        return list(self._forms)

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None:
            # Each form and its lower-case spelling, longest first: a letter whose case does not
            # round-trip in length (U+0130 lower-cases to "i" + a combining dot) is matched in
            # either spelling, and a longer spelling wins over a prefix of it.
            variants: dict[str, None] = {}
            for form in self._forms:
                variants.setdefault(form.text)
                variants.setdefault(form.text.lower())
            ordered = sorted(variants, key=lambda v: (-len(v), v))
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered), re.IGNORECASE)
            self._by_text = {}
            for form in reversed(self._forms):
                self._by_text[form.text.lower()] = form
        return self._pattern

    def _form_of(self, matched: str) -> SecretForm:
        """The form a match of :meth:`_compiled` stands for."""
        form = self._by_text.get(matched.lower())
        if form is not None:
            return form
        # IGNORECASE folds one character to one (U+0130 matches a plain "i"); .lower() may not.
        for form in self._forms:
            for spelling in (form.text, form.text.lower()):
                if re.fullmatch(re.escape(spelling), matched, re.IGNORECASE):
                    return form
        raise LookupError(f"no secret form matches {len(matched)} matched characters")

    def find(self, text: str) -> list[Leak]:
        """The secrets that appear in ``text``, each (name, form) once, in order of appearance."""
        if not self._forms or not text:
            return []
        memo = self._memo.get(text)
        if memo is None:
            memo = self._find(text)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[text] = memo
        return list(memo)

    def _find(self, text: str) -> tuple[Leak, ...]:
        hits = self._hits(text, "")
        if not hits:
            for chain, view in _decoded_views(text):
                hits = self._hits(view, chain)
                if hits:
                    break
        leaks: list[Leak] = []
        for _, leak in sorted(hits, key=lambda hit: hit[0]):
            if leak not in leaks:
                leaks.append(leak)
        return tuple(leaks)

    def _hits(self, text: str, chain: str) -> list[tuple[int, Leak]]:
        """Every form found in ``text`` (a decoding of the original by ``chain``)."""
        low = text.lower()
        hits: list[tuple[int, Leak]] = []
        for lowered, form in self._candidates(low):
            at = low.find(lowered)
            if at >= 0:
                name = (
                    form.form
                    if not chain
                    else chain
                    if form.form == "raw"
                    else (f"{chain}+{form.form}")
                )
                hits.append((at, Leak(name=form.name, form=name)))
        return hits

    def _candidates(self, low: str) -> list[tuple[str, SecretForm]]:
        if not self._escaped:
            return self._plain
        present = [ch for ch in _ESCAPE_CHARS if ch in low]
        if not present:
            return self._plain
        return self._plain + [(lw, f) for ch, lw, f in self._escaped if ch in present]

    def _decoded_hit(self, text: str) -> str | None:
        """The name of a secret left in a decoding of ``text`` (nothing is left in ``text``
        itself: it was redacted form by form)."""
        for chain, view in _decoded_views(text):
            hits = self._hits(view, chain)
            if hits:
                return min(hits, key=lambda hit: hit[0])[1].name
        return None

    def redact(self, text: str) -> str:
        """``text`` with every secret form replaced by ``<name>``."""
        if not self.find(text):
            return text
        text = self._compiled().sub(lambda m: f"<{self._form_of(m.group(0)).name}>", text)
        if self._decoded_hit(text) is None:
            return text
        # Mixed encodings: replace every word whose decoding carries a secret.
        parts = re.split(r"(\s+)", text)
        for index, part in enumerate(parts):
            if part and not part.isspace():
                name = self._decoded_hit(part)
                if name is not None:
                    parts[index] = f"<{name}>"
        return "".join(parts)

    def redact_data(self, data: object) -> object:
        """Redact every string inside JSON-like ``data`` (dicts, lists, tuples, strings)."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, Mapping):
            return {self.redact(str(k)): self.redact_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.redact_data(v) for v in data]
        return data


@functools.lru_cache(maxsize=32)
def _shared_redactor(secrets: tuple[tuple[str, str], ...]) -> Redactor:
    return Redactor(secrets)
