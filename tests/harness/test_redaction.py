"""Secrets, their encodings, and redaction."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.common.redaction import Redactor, secret_values

secrets = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=40
)
surroundings = st.text(alphabet='ab xyz{}":/=&', max_size=8)

ENCODERS = {
    "raw": lambda s: s,
    "url": lambda s: quote(s, safe=""),
    "url_plus": quote_plus,
    "form": lambda s: urlencode({"token": s}),
    "json": lambda s: json.dumps({"token": s}),
}


@settings(max_examples=100, deadline=None)
@given(
    secret=secrets,
    before=surroundings,
    after=surroundings,
    encoding=st.sampled_from(sorted(ENCODERS)),
)
def test_every_text_encoding_is_found_and_redacted(
    secret: str, before: str, after: str, encoding: str
) -> None:
    r = Redactor({"access_token": secret})
    text = before + ENCODERS[encoding](secret) + after
    assert r.find(text), (encoding, text)
    redacted = r.redact(text)
    assert "<access_token>" in redacted
    rest = redacted.replace("<access_token>", "\0")  # a secret may spell part of the name
    assert secret not in rest
    assert ENCODERS[encoding](secret) not in rest


@settings(max_examples=100, deadline=None)
@given(secret=secrets, prefix=st.binary(max_size=5), suffix=st.binary(max_size=5))
def test_base64_inside_a_larger_blob_is_found(secret: str, prefix: bytes, suffix: bytes) -> None:
    blob = base64.b64encode(prefix + secret.encode() + suffix).decode()
    leaks = Redactor({"api_key": secret}).find(blob)
    assert "base64" in {leak.form for leak in leaks}


def test_secret_values_take_the_token_key_and_secret_looking_keys() -> None:
    conf = {
        "shopName": "acme-shop",
        "access_token": "shpat_abcdef123456",
        "apiSecret": "s3cr3t-value",
        "webhookPassword": "hunter22",
        "short_key": "abc",
        "retries": 3,
        "bearer": "not-named-like-a-secret",
    }
    assert secret_values(conf) == {
        "access_token": "shpat_abcdef123456",
        "apiSecret": "s3cr3t-value",
        "webhookPassword": "hunter22",
    }
    assert secret_values({"tok": "value-123456"}, token_key="tok") == {"tok": "value-123456"}


def test_redact_data_walks_json_like_values() -> None:
    r = Redactor({"access_token": "shpat_abcdef123456"})
    data = {"headers": {"x": "shpat_abcdef123456"}, "list": ["a shpat_abcdef123456 b", 3]}
    assert r.redact_data(data) == {
        "headers": {"x": "<access_token>"},
        "list": ["a <access_token> b", 3],
    }


def test_text_without_secrets_is_untouched() -> None:
    r = Redactor({"access_token": "shpat_abcdef123456"})
    assert r.find("nothing to see") == []
    assert r.redact("nothing to see") == "nothing to see"
    assert Redactor().redact("x") == "x"


def test_the_front_door_exports_what_it_lists() -> None:
    import harness

    assert len(set(harness.__all__)) == len(harness.__all__)
    for name in harness.__all__:
        assert getattr(harness, name) is not None
