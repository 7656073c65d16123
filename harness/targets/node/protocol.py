"""The platform's runtime protocol as ``@botpress/sdk`` 5.4.3 speaks it, and what replies mean.

A hook call is ``POST /`` with the ``x-bot-id``, ``x-bot-user-id``, ``x-integration-id``,
``x-integration-alias``, ``x-webhook-id``, ``x-bp-operation``, ``x-bp-configuration`` (base64
of the configuration JSON) and optional ``x-bp-configuration-type`` headers, a ``traceparent``,
and the body ``{"webhookUrl": ...}``. The SDK answers 200 ``{}`` on success; 400 with the error's
``{id, code, type, message}`` when a ``RuntimeError`` (or another platform API error) escapes the
hook; 400 with a generic message for any other error (its stack goes to ``console.error``); 500
``{"error": ...}`` when the protocol itself fails (a missing header).

The preload's console records become the harness's :class:`~harness.platform.LogRecord`: the
SDK logger's JSON records (``BP_LOG_FORMAT=json``) with their level and scope, plain console
output as integration-only records with its text (stacks included).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from typing import Any

from harness.runtime import Context, LogRecord, LogScope
from harness.runtime import RuntimeError as PlatformRuntimeError

__all__ = [
    "CALL_HEADER",
    "NodeHookError",
    "NodeProtocolError",
    "hook_headers",
    "log_record",
    "reply_error",
]

CALL_HEADER = "x-lh-call-id"


class NodeHookError(Exception):
    """An error that escaped a Node hook and was not a platform API error (the SDK answered
    400 with its generic message); the message is the stack the SDK printed, when there is one."""


class NodeProtocolError(Exception):
    """The runtime protocol failed (the SDK answered 500, or not at all)."""


def hook_headers(
    ctx: Context,
    *,
    call_id: str,
    clock_ms: int | None = None,
    budget_ms: int | None = None,
) -> dict[str, str]:
    """The headers the platform sends for ``ctx.operation`` (plus the harness's own)."""
    configuration = json.dumps(dict(_thaw(ctx.configuration)), separators=(",", ":"))
    headers = {
        "x-bot-id": ctx.bot_id,
        "x-bot-user-id": ctx.bot_user_id,
        "x-integration-id": ctx.integration_id,
        "x-integration-alias": ctx.integration_alias,
        "x-webhook-id": ctx.webhook_id,
        "x-bp-operation": ctx.operation,
        "x-bp-type": ctx.operation,
        "x-bp-configuration": base64.b64encode(configuration.encode()).decode(),
        "traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01",
        "content-type": "application/json",
        CALL_HEADER: call_id,
    }
    if ctx.configuration_type is not None:
        headers["x-bp-configuration-type"] = ctx.configuration_type
    if clock_ms is not None:
        headers["x-lh-clock"] = str(clock_ms)
    if budget_ms is not None:
        headers["x-lh-budget"] = str(budget_ms)
    return headers


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value


def reply_error(
    status: int, body: Any, console_errors: list[str]
) -> tuple[str, BaseException, str | None, dict[str, Any] | None]:
    """For a non-200 reply: (user-facing reason, exception, exception text, error body)."""
    if status == 400 and isinstance(body, Mapping):
        message = str(body.get("message") or "")
        error_type = str(body.get("type") or "")
        response = dict(body)
        if error_type == "Runtime" and not _generic(message):
            exc: BaseException = PlatformRuntimeError(message, id=_str_or_none(body.get("id")))
            return message, exc, f"RuntimeError: {message}", response
        stack = console_errors[-1] if console_errors else None
        first = (stack or message).splitlines()[0] if (stack or message) else message
        exc = NodeHookError(first)
        return message, exc, stack, response
    text = json.dumps(body) if not isinstance(body, str) else body
    reason = f"the runtime protocol failed: the integration answered HTTP {status}: {text[:300]}"
    return (
        reason,
        NodeProtocolError(reason),
        None,
        dict(body) if isinstance(body, Mapping) else None,
    )


def _generic(message: str) -> bool:
    return message.startswith("An unexpected error occurred in the integration")


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


_LEVELS = {"debug": "debug", "info": "info", "warning": "warn", "warn": "warn", "error": "error"}


def log_record(record: Mapping[str, Any], *, bot_id: str) -> LogRecord | None:
    """The harness's record for one preload ``log`` record (``None`` for anything else)."""
    if record.get("type") != "log":
        return None
    level = _LEVELS.get(str(record.get("level")), "info")
    structured = record.get("structured")
    if isinstance(structured, Mapping) and isinstance(structured.get("msg"), str):
        options = structured.get("options")
        options = options if isinstance(options, Mapping) else {}
        scope = LogScope(
            visible_to_bot_owner=bool(structured.get("visible_to_bot_owner")),
            hidden_to_integration_owner=bool(structured.get("hidden_to_integration_owner")),
            user_id=_str_or_none(options.get("userId")),
            conversation_id=_str_or_none(options.get("conversationId")),
        )
        return LogRecord(level=level, message=structured["msg"], scope=scope, bot_id=bot_id)
    text = str(record.get("text", ""))
    first, _, rest = text.partition("\n")
    return LogRecord(
        level=level,
        message=first,
        scope=LogScope(),
        exc_text=rest or None,
        source="stdlib",
        bot_id=bot_id,
        logger_name="console",
    )
