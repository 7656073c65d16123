"""Nested configurations: no crash at the reference cache, nested secrets found (review issue 2)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.common.redaction import secret_values
from harness.scenarios.replay import record_violation
from harness.simulator import Simulator
from harness.steps import Register
from harness.targets.python import load_integration
from harness.world import default_world

LOGS_CONFIG = """\
def register(ctx, logger):
    logger.info("config %s", dict(ctx.configuration))
def unregister(ctx):
    pass
"""

NESTED = {
    "shopName": "acme",
    "access_token": "shpat_top_level_1",
    "extra": {"apiSecret": "verysecretvalue123", "list": [{"password": "hunter2hunter2"}]},
    "credentials": ["plainsecretinlist"],
}


def test_secret_values_walk_nested_mappings_and_lists() -> None:
    assert secret_values(NESTED) == {
        "access_token": "shpat_top_level_1",
        "extra.apiSecret": "verysecretvalue123",
        "extra.list.0.password": "hunter2hunter2",
    }
    # Everything under a key named like a secret is secret.
    assert secret_values({"secrets": ["abcdefgh", {"x": "ijklmnop"}]}) == {
        "secrets.0": "abcdefgh",
        "secrets.1.x": "ijklmnop",
    }


@settings(max_examples=30)
@given(
    path=st.lists(st.sampled_from(["a", "b", "inner", "cfg"]), min_size=1, max_size=4),
    secret=st.text(alphabet="abcdefghijklmnop0123456789", min_size=6, max_size=20),
)
def test_a_secret_at_any_depth_is_named_by_its_dotted_path(path: list[str], secret: str) -> None:
    value: object = {"apiToken": secret}
    for key in reversed(path):
        value = {key: value}
    assert isinstance(value, dict)
    assert secret_values(value) == {".".join([*path, "apiToken"]): secret}


def test_nested_configuration_runs_and_its_nested_secret_leak_is_seen(tmp_path: Path) -> None:
    target = tmp_path / "logs_config.py"
    target.write_text(LOGS_CONFIG, encoding="utf-8")
    integration = load_integration(str(target))
    world = default_world(NESTED)
    sim = Simulator(integration, world=world)
    result = sim.run([Register()])  # used to raise TypeError: unhashable type: 'dict'
    leaks = [v for v in result.violations if v.property == "no_secret_leak"]
    assert leaks
    text = " ".join(v.message for v in leaks)
    assert "verysecretvalue123" not in text
    assert "hunter2hunter2" not in text
    path = record_violation(leaks[0], tmp_path / "rec", integration=str(target), world=world)
    written = path.read_text(encoding="utf-8")
    for secret in ("verysecretvalue123", "hunter2hunter2", "shpat_top_level_1"):
        assert secret not in written
    assert "<extra.apiSecret>" in written
    assert "<extra.list.0.password>" in written
