"""Leaking integrations for every encoding and channel: ``no_secret_leak`` finds each one, and
no form of the secret reaches any artifact the harness writes (issue 15)."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from leakcorpus import CHANNEL_SOURCE, ENCODING_SOURCE, leaking_source, scan

from harness.cli import main
from harness.reports.markdown import render_markdown
from harness.reports.render import CheckReport, render_json, render_text
from harness.scenarios.replay import record_violations
from harness.simulator import Simulator
from harness.steps import Register
from harness.targets.python import load_integration
from harness.world import default_world

tokens = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["shpat_", "", "tok/"]),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=16, max_size=32)
    | st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="\\"),
        min_size=12,
        max_size=30,
    ),
)

_counter = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    token=tokens,
    channel=st.sampled_from(sorted(CHANNEL_SOURCE)),
    encoding=st.sampled_from(sorted(ENCODING_SOURCE)),
)
def test_every_encoding_on_every_channel_is_found_and_kept_out_of_artifacts(
    tmp_path: Path, token: str, channel: str, encoding: str
) -> None:
    target = tmp_path / f"leaky_{next(_counter)}.py"
    target.write_text(leaking_source([(channel, encoding)]), encoding="utf-8")
    world = default_world({"shopName": "acme", "access_token": token})
    integration = load_integration(str(target))
    result = Simulator(integration, world=world).run([Register()])
    leaks = [v for v in result.violations if v.property == "no_secret_leak"]
    assert leaks, (channel, encoding, [v.message for v in result.violations])
    report = CheckReport(integration=str(target), seed=0, examples=1, violations=leaks)
    record_dir = tmp_path / f"rec_{next(_counter)}"
    report.scenarios = {
        i: str(path)
        for i, path in record_violations(leaks, record_dir, integration=str(target)).items()
    }
    record = result.history.records[0]
    artifacts = {
        "json": render_json(report),
        "text": render_text(report),
        "markdown": render_markdown(
            report, records=dict.fromkeys(range(len(leaks)), record), redact=_redact(result)
        ),
        **{p.name: p.read_text(encoding="utf-8") for p in sorted(record_dir.glob("*"))},
    }
    assert report.scenarios, "the leak must be recordable"
    for name, text in artifacts.items():
        assert scan(text, [token]) == [], (name, channel, encoding)


def _redact(result: object) -> object:
    from harness.common.redaction import Redactor

    return Redactor(result.history.secrets).redact  # type: ignore[attr-defined]


# Every channel once, the encodings spread over them (every pair is the property test's job;
# a whole check of all pairs at once would make hundreds of requests per register).
_ENCODINGS = sorted(ENCODING_SOURCE)
_QUIET = ["logger", "logger_for_bot", "print", "stderr", "stdlib_logging", "warnings"]
ALL_LEAKS = [(_QUIET[i % len(_QUIET)], encoding) for i, encoding in enumerate(_ENCODINGS)] + [
    ("url_query", "base64"),
    ("other_host", "hex"),
    ("runtime_error", "double_base64"),
]

TOKEN = "shpat_Z9y8X7w6V5u4T3s2R1q0/p+o=n"


def test_cli_check_writes_no_form_of_any_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "leaky_all.py"
    target.write_text(leaking_source(ALL_LEAKS), encoding="utf-8")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"shopName": "acme", "access_token": TOKEN, "apiSecret": "s3cr3t_api_value"})
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "check",
            str(target),
            "--config",
            str(config),
            "--examples",
            "3",
            "--seed",
            "1",
            "--report-json",
            "report.json",
            "--report-md",
            "report.md",
            "--record-dir",
            "recorded",
        ],
        out=out,
        err=err,
    )
    captured = capsys.readouterr()
    assert code == 1, err.getvalue()[-3000:] + out.getvalue()[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    messages = [v["message"] for v in report["violations"] if v["property"] == "no_secret_leak"]
    # One finding per channel at least (the encodings of one channel are one finding each).
    for where in ("(console)", "(stdlib)", "(platform)", "a URL", "another host", "status reason"):
        assert any(where in m for m in messages), where
    artifacts = {
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "process stdout": captured.out,
        "process stderr": captured.err,
        **{
            str(p.relative_to(tmp_path)): p.read_text(encoding="utf-8")
            for p in sorted(tmp_path.rglob("*"))
            if p.is_file() and p.suffix in (".json", ".md", ".yaml") and p.name != "config.json"
        },
    }
    assert any(name.endswith(".scenario.yaml") for name in artifacts)
    for name, text in artifacts.items():
        assert scan(text, [TOKEN, "s3cr3t_api_value"]) == [], name
