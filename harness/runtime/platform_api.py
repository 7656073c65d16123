"""The platform's state API served on loopback, exactly as ``@botpress/client`` calls it.

For targets that are not in-process Python (the Node targets, ``lifecycle-harness serve``), the
same :class:`StateStore` the in-process clients use is served over plain HTTP on loopback by the
standard library's ``ThreadingHTTPServer`` (keep-alive, ``TCP_NODELAY``)::

    GET   /v1/chat/states/{type}/{id}/{name}              -> {"state": {...}}
    POST  /v1/chat/states/{type}/{id}/{name}              {payload, expiry} (payload null deletes)
    PATCH /v1/chat/states/{type}/{id}/{name}              {payload} (top-level merge)
    POST  /v1/chat/states/{type}/{id}/{name}/get-or-set   {payload, expiry} -> {state, meta}

Headers: ``Authorization: Bearer <token>`` (401 ``Unauthorized`` without the server's token),
``x-bot-id`` and ``x-integration-id`` (which bot's and integration's states). A state is
``{id, createdAt, updatedAt, botId, name, type, payload}`` (``expiresAt`` when it expires);
errors are ``{id, code, type, message}`` with the status ``code``, which the client maps back to
its typed errors by ``type``. Platform faults armed on the store apply (the store raises them).
A route the harness does not implement is a ``501`` naming the method and path.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import re
import secrets
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from fake_shopify.loopback import LoopbackHTTPServer, LoopbackService, is_loopback_host
from harness.runtime.errors import ApiError, InvalidPayloadError, UnauthorizedError
from harness.runtime.store import State, StateStore

__all__ = ["ServedPlatformAPI"]

_STATE_PATH = re.compile(
    r"^/v1/chat/states/(?P<type>[^/]+)/(?P<id>[^/]+)/(?P<name>[^/]+)(?P<get_or_set>/get-or-set)?$"
)


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def _state_json(state: State, integration_id: str) -> dict[str, Any]:
    digest = hashlib.sha256(
        "\0".join((state.bot_id, integration_id, state.type, state.id, state.name)).encode()
    ).hexdigest()
    body: dict[str, Any] = {
        "id": f"state_{digest[:26]}",
        "createdAt": _iso(state.created_at),
        "updatedAt": _iso(state.updated_at),
        "botId": state.bot_id,
        "conversationId": state.id if state.type == "conversation" else None,
        "userId": state.id if state.type == "user" else None,
        "name": state.name,
        "type": state.type,
        "payload": state.payload,
    }
    if state.expires_at is not None:
        body["expiresAt"] = _iso(state.expires_at)
    return body


class _NotImplemented(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120
    api: ServedPlatformAPI

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        admit = self.api.admit
        if admit is not None and not admit(self.headers):
            # The caller is gone (its runtime was killed while this request waited): nothing
            # is served and nothing answers.
            self.close_connection = True
            return
        try:
            status, body = self.api._serve(self.command, self.path, self.headers, raw)
        except ApiError as error:
            status, body = error.code, self.api._error_json(error)
        except Exception as exc:  # a bug in the harness: a 500 naming it, kept for the test
            self.api.errors.append(exc)
            status, body = (
                500,
                {
                    "id": "err_harness_internal",
                    "code": 500,
                    "type": "Internal",
                    "message": f"the harness's platform API raised {type(exc).__name__}: {exc}",
                },
            )
        except BaseException as abort:
            # Not an error but an abort: the simulated crash at a platform call (raised by the
            # store's observer) is a BaseException, as a killed runtime is not something a
            # handler catches. The runtime that made the call is gone, so nothing answers it.
            self.close_connection = True
            on_abort = self.api.on_abort
            if on_abort is None:
                self.api.errors.append(abort)
            else:
                on_abort(abort)
            return
        data = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n"
            f"{'Connection: close' + chr(13) + chr(10) if self.close_connection else ''}\r\n"
        )
        self.wfile.write(head.encode("latin-1") + data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class ServedPlatformAPI(LoopbackService):
    """``store`` served at ``url`` (``http://127.0.0.1:PORT``; ``port=0`` picks a free one).

    ``token`` is the bearer token clients must send (``BP_TOKEN``; generated when omitted).
    ``admit`` (the request's headers) is called before a request is served, and may block: the
    Node target holds an overlapping call's request there until it is the call's turn; when it
    answers ``False`` the request is dropped unanswered.
    ``calls`` is the store's own record of calls (``store.calls``).
    """

    _what = "ServedPlatformAPI"

    def __init__(
        self,
        store: StateStore,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_abort: Callable[[BaseException], None] | None = None,
        admit: Callable[[Message], bool] | None = None,
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError(
                f"ServedPlatformAPI serves on loopback only (127.0.0.1, ::1, localhost); got {host!r}"
            )
        self.store = store
        self.token = token if token is not None else f"bp_pat_harness_{secrets.token_hex(12)}"
        self.host = host
        self._requested_port = port
        self._error_ids = itertools.count(1)
        self.errors: list[BaseException] = []
        self.on_abort = on_abort
        self.admit = admit

    # -- lifecycle -----------------------------------------------------------------------------

    def _make_server(self) -> LoopbackHTTPServer:
        handler = type("_BoundPlatformHandler", (_Handler,), {"api": self})
        return LoopbackHTTPServer((self.host, self._requested_port), handler)

    def _thread_name(self) -> str:
        return "platform-api-served"

    @property
    def url(self) -> str:
        """The base URL a client uses (``BP_API_URL``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"<ServedPlatformAPI {where}>"

    # -- serving -------------------------------------------------------------------------------

    def _error_json(self, error: ApiError) -> dict[str, Any]:
        return {
            "id": error.id or f"err_harness_{next(self._error_ids):08d}",
            "code": error.code,
            "type": error.type,
            "message": error.message,
        }

    def _serve(
        self, method: str, target: str, headers: Any, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        path = target.split("?", 1)[0]
        match = _STATE_PATH.match(path)
        route = None
        if match is not None:
            route = {
                ("GET", False): "get_state",
                ("POST", False): "set_state",
                ("PATCH", False): "patch_state",
                ("POST", True): "get_or_set_state",
            }.get((method, bool(match.group("get_or_set"))))
        if route is None or match is None:
            return 501, {
                "id": f"err_harness_{next(self._error_ids):08d}",
                "code": 501,
                "type": "Unknown",
                "message": f"{method} {path} is not implemented by the harness's platform API "
                "(it serves the state endpoints: GET/POST/PATCH /v1/chat/states/{type}/{id}/"
                "{name} and POST .../get-or-set)",
            }
        authorization = headers.get("Authorization") or ""
        if authorization != f"Bearer {self.token}":
            raise UnauthorizedError(
                "missing or wrong Authorization: Bearer token"
                if authorization
                else "missing Authorization header (Bearer token)"
            )
        bot_id = headers.get("x-bot-id") or ""
        integration_id = headers.get("x-integration-id") or ""
        if not bot_id or not integration_id:
            raise InvalidPayloadError("missing x-bot-id or x-integration-id header")
        type_, id_, name = (unquote(match.group(k)) for k in ("type", "id", "name"))
        body: dict[str, Any] = {}
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                raise InvalidPayloadError(f"the request body is not JSON: {exc}") from None
            if not isinstance(parsed, dict):
                raise InvalidPayloadError("the request body must be a JSON object")
            body = parsed
        store = self.store
        if route == "get_state":
            state = store.get(bot_id, integration_id, type_, id_, name)
            return 200, {"state": _state_json(state, integration_id)}
        if route == "set_state":
            if "payload" not in body:
                raise InvalidPayloadError("body.payload is required (null deletes the state)")
            stored = store.set(
                bot_id, integration_id, type_, id_, name, body["payload"], expiry=body.get("expiry")
            )
            return 200, {"state": None if stored is None else _state_json(stored, integration_id)}
        if route == "patch_state":
            patch: Any = body.get("payload")  # the store rejects a non-object with InvalidPayload
            state = store.patch(bot_id, integration_id, type_, id_, name, patch)
            return 200, {"state": _state_json(state, integration_id)}
        if "payload" not in body:
            raise InvalidPayloadError("body.payload is required")
        state, created = store.get_or_set(
            bot_id, integration_id, type_, id_, name, body["payload"], expiry=body.get("expiry")
        )
        return 200, {"state": _state_json(state, integration_id), "meta": {"cached": not created}}
