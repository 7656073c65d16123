"""The runtime protocol's headers and the mapping of replies and console records (no Node)."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from harness.runtime import Context
from harness.runtime import RuntimeError as PlatformRuntimeError
from harness.targets.node.protocol import (
    CALL_HEADER,
    NodeHookError,
    NodeProtocolError,
    hook_headers,
    log_record,
    reply_error,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(configuration=st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_configuration_header_is_base64_json_of_the_configuration(configuration):
    ctx = Context(bot_id="b1", integration_id="i1", webhook_id="w1", configuration=configuration)
    headers = hook_headers(ctx.for_operation("unregister"), call_id="c1", clock_ms=5, budget_ms=7)
    assert json.loads(base64.b64decode(headers["x-bp-configuration"])) == configuration
    assert headers["x-bp-operation"] == "unregister"
    assert headers["x-bot-id"] == "b1"
    assert headers["x-integration-id"] == "i1"
    assert headers["x-webhook-id"] == "w1"
    assert headers["x-bot-user-id"] == "user_b1"
    assert headers[CALL_HEADER] == "c1"
    assert (headers["x-lh-clock"], headers["x-lh-budget"]) == ("5", "7")
    assert "x-bp-configuration-type" not in headers  # absent = the default configuration


def test_a_runtime_error_reply_is_the_user_facing_message():
    body = {"id": "err_1", "code": 400, "type": "Runtime", "message": "bad token"}
    reason, exc, text, response = reply_error(400, body, [])
    assert reason == "bad token"
    assert isinstance(exc, PlatformRuntimeError)
    assert exc.id == "err_1"
    assert text == "RuntimeError: bad token"
    assert response == body


def test_a_generic_reply_takes_the_printed_stack():
    message = "An unexpected error occurred in the integration. Bot owners: ..."
    body = {"id": "err_2", "code": 400, "type": "Runtime", "message": message}
    stack = "Error: boom\n    at register (src/index.ts:3:9)"
    reason, exc, text, _ = reply_error(400, body, [stack])
    assert reason == message
    assert isinstance(exc, NodeHookError)
    assert str(exc) == "Error: boom"
    assert text == stack


def test_a_500_is_a_protocol_failure():
    reason, exc, _, response = reply_error(500, {"error": "Missing bot header"}, [])
    assert isinstance(exc, NodeProtocolError)
    assert "HTTP 500" in reason
    assert "Missing bot header" in reason
    assert response == {"error": "Missing bot header"}


def test_sdk_json_records_keep_scope_and_plain_lines_are_console_records():
    sdk = {
        "type": "log",
        "level": "warning",
        "text": "...",
        "structured": {
            "msg": "hello",
            "visible_to_bot_owner": True,
            "hidden_to_integration_owner": True,
            "options": {"userId": "u1"},
        },
    }
    record = log_record(sdk, bot_id="b1")
    assert record is not None
    assert (record.level, record.message, record.bot_id) == ("warn", "hello", "b1")
    assert record.scope.visible_to_bot_owner
    assert record.scope.hidden_to_integration_owner
    assert record.scope.user_id == "u1"
    assert record.source == "platform"
    plain = log_record({"type": "log", "level": "error", "text": "Error: x\n    at y"}, bot_id="b1")
    assert plain is not None
    assert (plain.message, plain.exc_text, plain.source) == ("Error: x", "    at y", "stdlib")
    assert not plain.scope.visible_to_bot_owner
    assert log_record({"type": "blocked", "host": "example.org"}, bot_id="b1") is None
