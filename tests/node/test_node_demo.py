"""`lifecycle-harness demo --node` from an empty cache: helpers and example installed with npm ci
(saying so), then the documented TypeScript example's bugs reported."""

from __future__ import annotations

import io
import json

from harness.cli.main import main


def test_demo_node_installs_what_it_needs_and_reports_the_documented_examples_bugs(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("LIFECYCLE_HARNESS_CACHE", str(tmp_path / "cache"))
    report = tmp_path / "demo.json"
    out, err = io.StringIO(), io.StringIO()
    argv = ["demo", "--node", "--examples", "10", "--no-progress", "--report-json", str(report)]
    code = main(argv, out=out, err=err)
    assert code == 1, err.getvalue()
    assert "installing its Node helpers" in err.getvalue()  # printed on first use, on the CLI's err
    assert "installing the TypeScript example 'shopify-docs' with `npm ci`" in err.getvalue()
    found = {v["property"] for v in json.loads(report.read_text())["violations"]}
    assert {"clean", "convergent", "no_secret_leak"} <= found
    assert "shopify-docs" in out.getvalue()
