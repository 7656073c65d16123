"""Secrets of a configuration, the forms they leak in, and their redaction.

A secret is the value of the configuration's token key (``access_token`` by default) or of any
key named like a token, secret, password or key (property ``no_secret_leak``). It
can leak raw or in a common encoding: URL-encoded (query strings, form bodies), base64 (Basic
auth headers, serialised blobs) and JSON-escaped (a log line that dumps an error object as
JSON). ``Redactor`` finds every form in a text and replaces it with a placeholder named after the
key (``<access_token>``), so reports and scenario files never carry the secret itself.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

SECRET_KEY_PATTERN = re.compile(r"token|secret|password|passwd|key", re.IGNORECASE)
"""Configuration keys whose values are secrets (besides the configured token key)."""

MIN_SECRET_LENGTH = 6
"""Shorter values are not treated as secrets: they would match ordinary text by chance."""


@dataclass(frozen=True)
class SecretForm:
    """One spelling of one secret: ``name`` is the configuration key, ``form`` the encoding."""

    name: str
    form: str  # "raw" | "url" | "base64" | "json"
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


def _base64_forms(secret: str) -> set[str]:
    """Base64 spellings of ``secret`` as they appear inside a longer encoded text.

    Embedded in a larger blob, the secret starts at any of three byte alignments; for each, the
    characters fully determined by the secret's own bytes are stable, the edges are not.
    """
    raw = secret.encode()
    forms: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        # Drop the characters that mix in the padding bytes before and after the secret.
        start = (shift * 8 + 5) // 6
        end_bits = (shift + len(raw)) * 8
        end = end_bits // 6
        core = encoded[start:end]
        if len(core) >= MIN_SECRET_LENGTH:
            forms.add(core)
            forms.add(core.replace("+", "-").replace("/", "_"))
    return forms


def secret_forms(name: str, secret: str) -> list[SecretForm]:
    """Every spelling of ``secret`` that the harness looks for, longest first."""
    spellings: dict[str, str] = {secret: "raw"}
    for text in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        spellings.setdefault(text, "url")
    spellings.setdefault(json.dumps(secret)[1:-1], "json")
    for text in sorted(_base64_forms(secret)):
        spellings.setdefault(text, "base64")
    forms = [SecretForm(name=name, form=form, text=text) for text, form in spellings.items()]
    return sorted(forms, key=lambda f: (-len(f.text), f.text))


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
        self._seen: set[tuple[str, str]] = set()
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Learn one more secret (a rotated token keeps its key's name)."""
        if len(value) < MIN_SECRET_LENGTH or (name, value) in self._seen:
            return
        self._seen.add((name, value))
        self._forms.extend(secret_forms(name, value))
        self._forms.sort(key=lambda f: (-len(f.text), f.text))
        self._pattern: re.Pattern[str] | None = None

    @property
    def secrets(self) -> list[tuple[str, str]]:
        return sorted(self._seen)

    def _compiled(self) -> re.Pattern[str] | None:
        if not self._forms:
            return None
        if getattr(self, "_pattern", None) is None:
            self._pattern = re.compile("|".join(re.escape(f.text) for f in self._forms))
            self._by_text = {f.text: f for f in reversed(self._forms)}
        return self._pattern

    def find(self, text: str) -> list[Leak]:
        """The secrets that appear in ``text``, each once, in order of appearance."""
        pattern = self._compiled()
        if pattern is None or not text:
            return []
        leaks: list[Leak] = []
        for match in pattern.finditer(text):
            form = self._by_text[match.group(0)]
            leak = Leak(name=form.name, form=form.form)
            if leak not in leaks:
                leaks.append(leak)
        return leaks

    def redact(self, text: str) -> str:
        """``text`` with every secret form replaced by ``<name>``."""
        pattern = self._compiled()
        if pattern is None or not text:
            return text
        return pattern.sub(lambda m: f"<{self._by_text[m.group(0)].name}>", text)

    def redact_data(self, data: object) -> object:
        """Redact every string inside JSON-like ``data`` (dicts, lists, tuples, strings)."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, Mapping):
            return {self.redact(str(k)): self.redact_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.redact_data(v) for v in data]
        return data
