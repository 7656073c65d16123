"""The platform logger (formatting, scopes, levels, exception) and stdlib logging capture."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.runtime import (
    LogScope,
    LogSink,
    PlatformLogger,
    capture_stdlib_logs,
    level_at_least,
    stdlib_log_routing,
)
from harness.runtime.logs import format_message
from harness.runtime.vtime import VirtualTime


@pytest.fixture
def sink() -> LogSink:
    return LogSink()


@pytest.fixture
def logger(sink: LogSink) -> PlatformLogger:
    return PlatformLogger(sink, bot_id="bot1")


def test_levels_and_warning_alias(sink: LogSink, logger: PlatformLogger) -> None:
    logger.debug("d")
    logger.info("i")
    logger.warn("w")
    logger.warning("w2")
    logger.error("e")
    assert [(r.level, r.message) for r in sink.records] == [
        ("debug", "d"),
        ("info", "i"),
        ("warn", "w"),
        ("warn", "w2"),
        ("error", "e"),
    ]
    assert all(r.source == "platform" and r.bot_id == "bot1" for r in sink.records)


def test_level_order() -> None:
    assert level_at_least("error", "warn")
    assert level_at_least("warning", "warn")
    assert not level_at_least("info", "warning")


@pytest.mark.parametrize(
    ("msg", "args", "expected"),
    [
        ("created %s of %d", ("hook", 3), "created hook of 3"),
        ("no placeholders", ("extra", 42), "no placeholders extra 42"),
        ("one %s", ("a", "b", {"k": 1}), "one a b {'k': 1}"),
        ("%(shop)s ok", ({"shop": "acme"},), "acme ok"),
        ("100%% done", (), "100%% done"),
        ("100%% done", ("x",), "100% done x"),
        ("bad %q format", ("x",), "bad %q format x"),
        ("two %s %s", ("only one",), "two %s %s only one"),
        (42, ("x", 7), "42 x 7"),
    ],
)
def test_formatting_like_the_stdlib_and_util_format(
    msg: object, args: tuple[object, ...], expected: str
) -> None:
    assert format_message(msg, args) == expected


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30), st.lists(st.integers(), max_size=4)
)
@settings(max_examples=100, deadline=None)
def test_formatting_never_raises_and_keeps_every_argument(msg: str, args: list[int]) -> None:
    text = format_message(msg, tuple(args))
    for arg in args:
        assert str(arg) in text


def test_scopes_are_new_loggers(sink: LogSink, logger: PlatformLogger) -> None:
    logger.info("owner only")
    logger.for_bot().info("bot owner")
    logger.for_bot_only().with_user_id("u1").with_conversation_id("c1").warn("scoped")
    assert [r.scope for r in sink.records] == [
        LogScope(),
        LogScope(visible_to_bot_owner=True),
        LogScope(
            visible_to_bot_owner=True,
            hidden_to_integration_owner=True,
            user_id="u1",
            conversation_id="c1",
        ),
    ]
    # The original logger is unchanged.
    logger.info("again")
    assert sink.records[-1].scope == LogScope()


def test_exception_records_the_traceback(sink: LogSink, logger: PlatformLogger) -> None:
    try:
        raise ValueError("boom with shpat_secret")
    except ValueError:
        logger.for_bot().exception("register failed: %s", "create webhook")
    record = sink.records[0]
    assert (record.level, record.message) == ("error", "register failed: create webhook")
    assert record.exc_text is not None
    assert "Traceback" in record.exc_text
    assert "ValueError: boom with shpat_secret" in record.exc_text
    assert "shpat_secret" in record.text()


def test_error_with_exc_info_and_exception_argument(sink: LogSink, logger: PlatformLogger) -> None:
    err = KeyError("k")
    logger.error("failed", exc_info=err)
    logger.error("failed:", err)  # util.format appends the error with its stack
    assert sink.records[0].exc_text is not None
    assert "KeyError: 'k'" in sink.records[0].exc_text
    assert sink.records[1].message.startswith("failed: KeyError: 'k'")
    logger.exception("outside an except block")
    assert sink.records[2].exc_text is None


def test_sink_stamps_time_and_marks() -> None:
    vt = VirtualTime()
    sink = LogSink(clock=vt)
    logger = PlatformLogger(sink, bot_id="b")
    logger.info("a")
    mark = sink.mark()
    vt.advance(3)
    logger.info("b")
    assert [r.message for r in sink.since(mark)] == ["b"]
    first, second = sink.records[0].time, sink.records[1].time
    assert first is not None
    assert second is not None
    assert second - first == dt.timedelta(seconds=3)
    assert sink.for_bot("b") == sink.records


# -- stdlib capture ------------------------------------------------------------------------------


def test_stdlib_records_are_captured_with_levels_and_tracebacks(sink: LogSink) -> None:
    log = logging.getLogger("an_integration.module")
    root_level = logging.getLogger().level
    with capture_stdlib_logs(sink, bot_id="bot1"):
        log.debug("debug %s", 1)
        log.info("info")
        log.warning("careful")
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            log.exception("divided")
        log.critical("critical")
    log.warning("after the capture")
    assert [(r.level, r.message, r.source) for r in sink.records] == [
        ("debug", "debug 1", "stdlib"),
        ("info", "info", "stdlib"),
        ("warn", "careful", "stdlib"),
        ("error", "divided", "stdlib"),
        ("error", "critical", "stdlib"),
    ]
    assert sink.records[3].exc_text is not None
    assert "ZeroDivisionError" in sink.records[3].exc_text
    assert sink.records[0].logger_name == "an_integration.module"
    assert {r.bot_id for r in sink.records} == {"bot1"}
    assert logging.getLogger().level == root_level
    assert not any(type(h).__name__ == "_RoutingHandler" for h in logging.getLogger().handlers)


def test_stdlib_capture_routes_by_context() -> None:
    # Two captures open at once (concurrent hooks on two threads) keep their records apart.
    sinks = {"bot1": LogSink(), "bot2": LogSink()}
    barrier = threading.Barrier(2)

    def hook(bot: str) -> None:
        with capture_stdlib_logs(sinks[bot], bot_id=bot):
            barrier.wait()
            logging.getLogger("x").warning("from %s", bot)
            barrier.wait()

    threads = [threading.Thread(target=hook, args=(b,)) for b in sinks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.message for r in sinks["bot1"].records] == ["from bot1"]
    assert [r.message for r in sinks["bot2"].records] == ["from bot2"]


def test_http_stack_and_harness_loggers_are_left_out(sink: LogSink) -> None:
    with capture_stdlib_logs(sink, bot_id="bot1"):
        logging.getLogger("httpx").info("HTTP Request: POST https://acme.myshopify.com/x")
        logging.getLogger("httpcore.connection").debug("connect_tcp.started")
        logging.getLogger("asyncio").warning("loop noise")
        logging.getLogger("httpx_retry").warning("an integration's own helper")
    assert [r.message for r in sink.records] == ["an integration's own helper"]


def test_routing_held_for_a_run_keeps_the_root_level_low(sink: LogSink) -> None:
    root = logging.getLogger()
    before = root.level
    with stdlib_log_routing():
        assert root.level == logging.DEBUG
        with capture_stdlib_logs(sink, bot_id="bot1"):
            logging.getLogger("x").debug("inside")
        assert root.level == logging.DEBUG  # not restored between calls
        logging.getLogger("x").warning("between calls: nobody's")
    assert root.level == before
    assert [r.message for r in sink.records] == ["inside"]
