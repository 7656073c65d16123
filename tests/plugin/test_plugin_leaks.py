"""A leaking integration under the pytest plugin: no form of the secret in pytest's output or
its JUnit XML (issue 15)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pluginkit import Runner

_spec = importlib.util.spec_from_file_location(
    "leakcorpus", Path(__file__).resolve().parents[1] / "harness" / "leakcorpus.py"
)
assert _spec is not None
assert _spec.loader is not None
leakcorpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(leakcorpus)

TOKEN = "shpat_plugin0leak1token2value3"
LEAKS = [
    ("stdlib_logging", "raw"),
    ("logger", "double_base64"),
    ("print", "html_entities"),
    ("stderr", "upper"),
    ("warnings", "url_every_byte"),
]


def test_pytest_output_and_junit_carry_no_secret(pytester: pytest.Pytester, run: Runner) -> None:
    pytester.makepyfile(**{"integrations/leaky": leakcorpus.leaking_source(LEAKS)})
    pytester.makepyprojecttoml(
        f"""
[tool.pytest.ini_options]
filterwarnings = ["error"]

[tool.lifecycle-harness]
integration = "integrations/leaky.py"
examples = 2
configuration = {{ shopName = "acme", access_token = "{TOKEN}" }}
"""
    )
    result = run.subprocess("-k", "no_secret_leak", "--junitxml=junit.xml", "-rA")
    result.assert_outcomes(failed=1)
    output = "\n".join(result.outlines + result.errlines)
    assert "no_secret_leak" in output
    junit = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    recorded = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(pytester.path.rglob("*.scenario.yaml"))
    )
    for name, text in (("pytest output", output), ("junit", junit), ("recorded", recorded)):
        assert leakcorpus.scan(text, [TOKEN]) == [], name
