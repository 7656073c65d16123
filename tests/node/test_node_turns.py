"""Overlapping calls of a Node target take deterministic turns at the served fakes (issue 15)."""

from __future__ import annotations

import httpx
import pytest

from harness.options import Options
from harness.runtime.vtime import real_monotonic
from harness.simulator import HookHungError, Session, Simulator
from harness.steps import Concurrently, Register
from harness.targets.node import NodeIntegration
from harness.world import default_world


def _overlap(probe: NodeIntegration, mode: str, bots: int, *, options: Options | None = None):
    """Run ``bots`` overlapping registers in ``mode``; return the session, the record and the
    order in which the served fakes served the calls' requests: ("shop" | "state", bot)."""
    world = default_world({"shopName": "acme", "mode": mode}, bots=bots, shops=bots)
    with Simulator(probe, world=world, options=options) as sim:
        session = sim.session()
        order = _watch(session)
        record = session.execute(Concurrently(tuple(Register(f"bot{i + 1}") for i in range(bots))))
    return session, record, order


def _watch(session: Session) -> list[tuple[str, str]]:
    by_shop = {f"{t.shop}.myshopify.com": name for name, t in session.tenants.items()}
    by_bot_id = {t.bot_id: name for name, t in session.tenants.items()}
    order: list[tuple[str, str]] = []
    serve = session.serve

    def watched_serve(request: httpx.Request) -> httpx.Response:
        order.append(("shop", by_shop[request.url.host]))
        return serve(request)

    def observer(when: str, method: str, bot_id: str) -> None:
        if when == "before":
            order.append(("state", by_bot_id[bot_id]))

    session.serve = watched_serve  # type: ignore[method-assign]
    session.store.observer = observer
    return order


@pytest.mark.parametrize("bots", [2, 3])
def test_overlapping_calls_are_served_strictly_round_robin(probe: NodeIntegration, bots: int):
    """Each call alternates a Shopify request (global fetch) and a state call (the SDK's client,
    axios): every one is a turn point, so the fakes serve the calls' requests round robin in
    invocation order, whatever the event loop would have done."""
    stalls = probe.stalls
    session, record, order = _overlap(probe, "turns", bots)
    names = [f"bot{i + 1}" for i in range(bots)]
    assert [call.outcome.status for call in record.calls] == ["registered"] * bots
    expected = [(kind, bot) for _ in range(3) for kind in ("shop", "state") for bot in names]
    assert order == expected
    for name in names:  # each call's own state, attributed to its own bot
        (state,) = session.store.states(session.tenants[name].bot_id).values()
        assert state.payload == {"n": 2}
    assert probe.stalls == stalls  # the turns were taken, never broken by the stall rule


def test_a_sleeping_call_hands_the_turn_on(probe: NodeIntegration):
    """A call awaiting a fake timer while the other call's request is held is reported idle and
    gives up its turn (no stall, no wall time): the requests still alternate, and the sleeps
    overlap in virtual time as the platform's would."""
    stalls = probe.stalls
    t0 = real_monotonic()
    _, record, order = _overlap(probe, "turns-sleep", 2)
    wall = real_monotonic() - t0
    assert [call.outcome.status for call in record.calls] == ["registered", "registered"]
    assert order == [("shop", "bot1"), ("shop", "bot2")] * 3
    assert probe.stalls == stalls
    assert wall < 4.0  # a stall would cost 5 s: the turn moved on without one
    # Each call slept 3 s of virtual time, and the sleeps overlapped (they end together).
    slept = [call.logs[-1].message.split() for call in record.calls]
    assert [words[1] for words in slept] == ["3000", "3000"], slept
    assert abs(int(slept[0][3]) - int(slept[1][3])) < 1000, slept


def test_single_calls_take_no_turns(probe: NodeIntegration):
    """A lone call is posted at once and its requests are never held (no group exists)."""
    world = default_world({"shopName": "acme", "mode": "turns"})
    with Simulator(probe, world=world) as sim:
        session = sim.session()
        order = _watch(session)
        seen = []
        serve = session.serve

        def check_no_group(request: httpx.Request) -> httpx.Response:
            seen.append(probe._group)
            return serve(request)

        session.serve = check_no_group  # type: ignore[method-assign]
        record = session.execute(Register("bot1"))
    assert record.calls[0].outcome.status == "registered"
    assert order == [("shop", "bot1"), ("state", "bot1")] * 3
    assert seen == [None, None, None]


def test_a_runtime_that_exits_mid_group_ends_every_call_and_is_replaced(probe: NodeIntegration):
    """The first call kills the runtime (``process.exit(3)``): the calls not yet made are never
    posted to it, every call fails with the exit code, and the next call gets a fresh runtime."""
    t0 = real_monotonic()
    _, record, _ = _overlap(probe, "exit", 2)
    assert real_monotonic() - t0 < 10.0
    reasons = [call.outcome.status_reason or "" for call in record.calls]
    assert all("exit code 3" in reason for reason in reasons), reasons
    assert "the runtime was gone before the call was made" in reasons[1]
    _, again, _ = _overlap(probe, "turns", 2)
    assert [call.outcome.status for call in again.calls] == ["registered", "registered"]


def test_a_hung_call_in_a_group_is_stopped_by_the_wall_timeout(probe: NodeIntegration):
    """The first call never reaches a turn point: the wall timeout stops the group (before the
    stall rule would free it), the runtime is replaced, and nothing waits for ever."""
    restarts = probe.restarts
    t0 = real_monotonic()
    with pytest.raises(HookHungError, match=r"hung: still running after 1\.5 s of wall time"):
        _overlap(probe, "hang", 2, options=Options(hook_wall_seconds=1.5))
    assert real_monotonic() - t0 < 10.0
    _, again, _ = _overlap(probe, "turns", 2)
    assert [call.outcome.status for call in again.calls] == ["registered", "registered"]
    assert probe.restarts >= restarts + 1
