"""The Node target against a probe integration: outcomes, logs, time, network, restarts."""

from __future__ import annotations

import pytest

from harness.options import Options
from harness.runtime.vtime import real_monotonic
from harness.simulator import HookHungError, Simulator
from harness.steps import Concurrently, Crash, Register
from harness.targets.node import NodeIntegration
from harness.world import default_world


def run_mode(probe: NodeIntegration, mode: str, *, options: Options | None = None, bots: int = 1):
    world = default_world({"shopName": "acme", "mode": mode}, bots=bots, shops=bots)
    with Simulator(probe, world=world, options=options) as sim:
        session = sim.session()
        record = session.execute(Register("bot1"))
        return session, record


def test_sdk_logger_records_keep_level_and_scope_and_console_is_a_log_channel(probe):
    session, record = run_mode(probe, "logs")
    (call,) = record.calls
    assert call.outcome.status == "registered"
    by_message = {line.message: line for line in call.logs}
    assert by_message["for the bot owner"].scope == "bot"
    assert by_message["for the bot owner"].level == "info"
    assert by_message["for the integration owner"].scope == "integration"
    assert by_message["for the bot owner only"].level == "warn"
    hidden = [r for r in session.sink.records if r.message == "for the bot owner only"]
    assert hidden
    assert hidden[0].scope.hidden_to_integration_owner
    assert by_message["plain console line"].source == "stdlib"
    printed = by_message["Error: printed error"]
    assert printed.level == "error"
    assert printed.exc_text is not None
    assert "at " in printed.exc_text


def test_runtime_error_is_the_user_facing_message(probe):
    _, record = run_mode(probe, "runtime")
    outcome = record.calls[0].outcome
    assert outcome.status == "registration_failed"
    assert outcome.status_reason == "the shop refused the token"
    assert outcome.exception == "RuntimeError: the shop refused the token"


def test_other_errors_get_the_sdk_generic_message_and_their_stack(probe):
    _, record = run_mode(probe, "plain")
    (call,) = record.calls
    assert call.outcome.status_reason is not None
    assert call.outcome.status_reason.startswith("An unexpected error occurred in the integration")
    assert call.outcome.exc_text is not None
    assert "boom: a plain error" in call.outcome.exc_text
    assert any("boom: a plain error" in f"{line.message}\n{line.exc_text}" for line in call.logs)


def test_timers_and_date_follow_the_harness_clock(probe):
    t0 = real_monotonic()
    session, record = run_mode(probe, "sleep")
    wall = real_monotonic() - t0
    (call,) = record.calls
    assert call.outcome.status == "registered"
    assert [line.message for line in call.logs] == ["slept 30000 ms"]
    assert wall < 10.0  # a 30 s sleep cost no 30 s
    assert session.vtime.monotonic() >= 30.0  # the harness's clock moved with it


def test_a_hook_past_its_virtual_budget_is_stopped_and_the_process_replaced(probe):
    restarts = probe.restarts
    _, record = run_mode(probe, "budget", options=Options(hook_budget_seconds=45.0))
    outcome = record.calls[0].outcome
    assert outcome.timed_out
    assert not outcome.hung
    assert outcome.status_reason is not None
    assert "virtual time budget of 45 s" in outcome.status_reason
    _, again = run_mode(probe, "quiet")
    assert again.calls[0].outcome.status == "registered"
    # Replaced after each stopped call (the reference register of the lifecycle is one too).
    assert probe.restarts >= restarts + 1


def test_a_hung_hook_is_stopped_by_the_wall_timeout_and_the_process_replaced(probe):
    restarts = probe.restarts
    t0 = real_monotonic()
    with pytest.raises(HookHungError, match=r"hung: still running after 1\.5 s of wall time"):
        run_mode(probe, "hang", options=Options(hook_wall_seconds=1.5))
    assert real_monotonic() - t0 < 10.0
    _, again = run_mode(probe, "quiet")
    assert again.calls[0].outcome.status == "registered"
    assert probe.restarts >= restarts + 1


def test_a_process_that_exits_fails_the_call_and_is_replaced(probe):
    _, record = run_mode(probe, "exit")
    outcome = record.calls[0].outcome
    assert outcome.status == "registration_failed"
    assert outcome.status_reason is not None
    assert "exit code 3" in outcome.status_reason
    _, again = run_mode(probe, "quiet")
    assert again.calls[0].outcome.status == "registered"


def test_other_hosts_are_refused_and_recorded(probe):
    _, record = run_mode(probe, "blocked")
    (call,) = record.calls
    refused = [e for e in call.exchanges if not e.served]
    assert [e.host for e in refused] == ["example.org"]
    assert any(line.message == "blocked: ECONNREFUSED" for line in call.logs)


@pytest.mark.parametrize("client", ["https", "fetch", "axios", "node-fetch", "got", "shopify-api"])
def test_http_clients_reach_the_served_fake_attributed_to_their_call(probe, client):
    _, record = run_mode(probe, f"client:{client}")
    (call,) = record.calls
    assert [line.message for line in call.logs] == [f"{client} 200"]
    assert [(e.method, e.host, e.status) for e in call.exchanges] == [
        ("GET", "acme.myshopify.com", 200)
    ]
    headers = dict(call.exchanges[0].request_headers)
    assert "x-lh-call-id" not in headers  # the harness's own header never reaches the record


def test_state_calls_reach_the_served_platform_api(probe):
    session, record = run_mode(probe, "state")
    assert [line.message for line in record.calls[0].logs] == ['state {"n":1}']
    tenant = session.tenants["bot1"]
    (state,) = session.store.states(tenant.bot_id).values()
    assert state.payload == {"n": 1}


def test_overlapping_calls_keep_their_own_exchanges_and_logs(probe):
    world = default_world({"shopName": "acme", "mode": "client:fetch"}, bots=2, shops=2)
    with Simulator(probe, world=world) as sim:
        session = sim.session()
        record = session.execute(Concurrently((Register("bot1"), Register("bot2"))))
    for call in record.calls:
        shop = session.tenants[call.bot].shop
        assert [e.host for e in call.exchanges] == [f"{shop}.myshopify.com"]
        assert [line.message for line in call.logs] == ["fetch 200"]


def test_a_crash_point_kills_the_process_before_the_request_and_restarts_it(probe):
    restarts = probe.restarts
    world = default_world({"shopName": "acme", "mode": "client:https"})
    with Simulator(probe, world=world) as sim:
        session = sim.session()
        crashed = session.execute(Crash("bot1", "register", at=1))
        after = session.execute(Register("bot1"))
    outcome = crashed.calls[0].outcome
    assert outcome.crashed
    assert outcome.status_reason is not None
    assert "simulated crash" in outcome.status_reason
    assert crashed.calls[0].logs == []  # killed before it could answer or log
    assert after.calls[0].outcome.status == "registered"
    assert probe.restarts == restarts + 1


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_point_at_a_platform_call_kills_the_process_and_keeps_the_store_honest(
    probe: NodeIntegration, when: str
) -> None:
    """The crash at ``set_state`` is raised in the served platform API's thread: the process is
    killed without an answer, the hook is reported crashed, and the store holds the state only
    when the crash came after the call."""
    restarts = probe.restarts
    world = default_world({"shopName": "acme", "mode": "state"})
    with Simulator(probe, world=world) as sim:
        session = sim.session()
        crashed = session.execute(
            Crash("bot1", "register", at=1, call="set_state", when=when)  # type: ignore[arg-type]
        )
        tenant = session.tenants["bot1"]
        stored = dict(session.store.states(tenant.bot_id))
        after = session.execute(Register("bot1"))
    outcome = crashed.calls[0].outcome
    assert outcome.crashed
    assert outcome.status_reason is not None
    assert f"{when} set_state 1 (set_state)" in outcome.status_reason
    assert crashed.calls[0].logs == []  # the getState and the log line never happened
    assert len(stored) == (1 if when == "after" else 0)
    assert after.calls[0].outcome.status == "registered"
    assert [line.message for line in after.calls[0].logs] == ['state {"n":1}']
    assert probe.restarts == restarts + 1


def test_spares_are_started_with_the_runtime_and_refilled_after_each_restart(probe):
    """A crash point takes a started spare (the crashed runtime really is killed: a new process
    serves), and the pool is back to full while the next hooks run."""
    from harness.targets.node import target as node_target

    world = default_world({"shopName": "acme", "mode": "client:https"})
    with Simulator(probe, world=world) as sim:
        session = sim.session()
        assert len(probe._spares) == node_target.SPARES  # started with the first process
        for _ in range(3):
            before = probe.process
            assert before is not None
            pid = before.proc.pid if before.proc is not None else None
            crashed = session.execute(Crash("bot1", "register", at=1))
            after = session.execute(Register("bot1"))
            assert crashed.calls[0].outcome.crashed
            assert after.calls[0].outcome.status == "registered"
            assert not before.alive  # killed, not reused
            assert probe.process is not before
            assert probe.process is not None
            assert probe.process.proc is not None
            assert probe.process.proc.pid != pid
            assert len(probe._spares) == node_target.SPARES
    spares = [spare for spare, thread, _ in probe._spares if (thread.join(10.0), spare)[1].alive]
    assert len(spares) == node_target.SPARES
    assert len(probe.restart_wait_seconds) >= 3
