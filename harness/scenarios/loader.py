"""Read scenario files: YAML composed safely, then checked node by node against the schema.

The YAML is composed with ``yaml.SafeLoader`` (what ``yaml.safe_load`` uses), which keeps every
node's position, so each mistake names its file, line and column. The whole file is checked
before anything is built into a ``Scenario``: every mistake is collected and reported at once,
and a file with any mistake yields nothing (loading never half-applies a scenario).
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast, get_args

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fake_shopify import topics as fake_topics
from fake_shopify.faults import (
    Always,
    FaultEffect,
    HttpError,
    Latency,
    LostResponse,
    LostResponseKind,
    Match,
    Next,
    Nth,
    Probability,
    Schedule,
    TransportError,
    TransportErrorKind,
    unknown_action_message,
)
from fake_shopify.faults import known_actions as fake_known_actions
from harness.scenarios.model import (
    FORMAT_VERSION,
    PROPERTY_IDS,
    STRICTNESS_LEVELS,
    SUFFIX,
    Expect,
    Scenario,
    ScenarioOptions,
    ScenarioProblem,
    ScenarioSchemaError,
    ScenarioSyntaxError,
    ScenarioVersionError,
    SeedState,
    SeedSubscription,
    WorldDecl,
    placeholder,
    placeholder_value,
)
from harness.steps import (
    STEP_KINDS,
    Advance,
    Concurrently,
    Configure,
    ConfigureChange,
    Crash,
    CrashOn,
    CrashWhen,
    Drift,
    DriftChange,
    HookStep,
    LoseState,
    Operation,
    PlatformFault,
    PlatformMethod,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.world import shop_handle_problem

TOP_KEYS = (
    "version",
    "name",
    "description",
    "integration",
    "configuration",
    "world",
    "options",
    "expect",
    "steps",
)
WORLD_KEYS = ("bots", "shops", "crowd", "other_apps", "subscriptions", "states", "clock")
EFFECT_KINDS = ("http_error", "transport_error", "lost_response", "latency")
SCHEDULE_KINDS = ("nth", "next", "always", "probability")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HOOK_KINDS = ("register", "unregister", "configure")
_MAX_BOTS = 50  # tenants; more would only make a replay slow, never reveal more
_MAX_SHOPS = 50
_MAX_CROWD = 5000  # 20 pages of the list endpoint at its 250 maximum


def known_actions() -> tuple[str, ...]:
    """What ``match.action`` may name, as the fake decides it (``fake_shopify.faults``): a REST
    route's action, ``graphql``, or a GraphQL root field of any version (the introspection
    fields, which the fake accepts too, left out of messages). Any capitalised name is taken as
    a GraphQL operation name, which the file's author chose."""
    return tuple(action for action in fake_known_actions() if not action.startswith("__"))


_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""LibYAML's parser when PyYAML has it (ten times faster) for the limit check's pass."""

MAX_FILE_BYTES = 1_000_000
"""A scenario file larger than this is refused before it is parsed (max file size)."""
MAX_DEPTH = 64
"""Mappings and lists nested deeper than this are refused (max nesting depth)."""
MAX_NODES = 200_000
"""Values in the file once every alias is expanded; more is refused (max expanded size: a
"billion laughs" file of nested aliases would otherwise expand without end)."""
MAX_STEPS = 5_000
"""Steps in one scenario (max steps); a replay's time grows with them."""
MAX_DIGITS = 30
"""Digits of a whole number in a scenario file (max number length)."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PLACEHOLDER = re.compile(r"<([A-Za-z_][A-Za-z0-9_.:-]*)>")

_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Bad:
    """Marks a value that could not be read; a problem has been recorded for it."""


BAD = _Bad()


def loads_scenario(
    text: str, *, source: str = "<string>", file_name: str | None = None
) -> Scenario:
    """Read a scenario from YAML text; ``source`` names it in error messages.

    ``file_name``: the name of the file the text came from; a ``<name>.scenario.yaml`` file
    must hold the scenario ``name`` (the file is how people find a scenario by its name).
    """
    try:
        _check_limits(text, source)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise ScenarioSyntaxError(
            ScenarioProblem(source, line, column, f"not valid YAML: {what}")
        ) from None
    except yaml.YAMLError as exc:  # e.g. a reader error: bytes that are not text
        raise ScenarioSyntaxError(ScenarioProblem(source, 1, 1, f"not valid YAML: {exc}")) from None
    reader = _Reader(source)
    if file_name is not None and file_name.endswith(SUFFIX):
        reader.expected_name = file_name[: -len(SUFFIX)]
    return reader.scenario(root)


def _limit_error(source: str, mark: Any, message: str) -> ScenarioSyntaxError:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return ScenarioSyntaxError(ScenarioProblem(source, line, column, message))


def _check_limits(text: str, source: str) -> None:
    """Refuse a file past a limit before building anything from it: its size, its nesting
    depth and the number of values it expands to (aliases counted each time they are used).
    Reads the YAML event stream (no recursion, nothing expanded), so a hostile file costs at
    most one linear pass."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise _limit_error(
            source,
            None,
            f"the file is {size:,} bytes, more than the limit of {MAX_FILE_BYTES:,} "
            "(max file size)",
        )
    anchored: dict[str, int] = {}  # anchor -> values under it, expanded
    open_nodes: list[tuple[str | None, list[int]]] = []  # each open collection: anchor, [values]
    total = 0

    def grow(count: int, event: yaml.Event, *, to_parent: bool = True) -> None:
        nonlocal total
        total += count
        if total > MAX_NODES:
            raise _limit_error(
                source,
                event.start_mark,
                f"the file expands to more than {MAX_NODES:,} values once its aliases are "
                "expanded (max expanded size)",
            )
        if open_nodes and to_parent:
            open_nodes[-1][1][0] += count

    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) >= MAX_DEPTH:
                raise _limit_error(
                    source,
                    event.start_mark,
                    f"values nested more than {MAX_DEPTH} levels deep (max nesting depth)",
                )
            grow(1, event, to_parent=False)  # the parent counts it when it closes
            open_nodes.append((event.anchor, [1]))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, (count,) = open_nodes.pop()
            if anchor is not None:
                anchored[anchor] = count
            if open_nodes:
                open_nodes[-1][1][0] += count
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchored[event.anchor] = 1
            grow(1, event)
        elif isinstance(event, yaml.AliasEvent):
            grow(anchored.get(event.anchor or "", 1), event)


def load_scenario(path: str | Path) -> Scenario:
    """Read the scenario file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioSyntaxError(
            ScenarioProblem(str(path), 1, 1, f"not UTF-8 text: {exc.reason}")
        ) from None
    scenario = loads_scenario(text, source=str(path), file_name=path.name)
    return _with_source(scenario, path)


def _with_source(scenario: Scenario, path: Path) -> Scenario:
    from dataclasses import replace

    return replace(scenario, source=path)


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    assert isinstance(node, ScalarNode)
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "null":
        return "nothing (null)"
    if kind == "str":
        return f"the string {node.value!r}"
    if kind in ("int", "float"):
        return f"the number {node.value}"
    if kind == "bool":
        return f"the boolean {node.value}"
    return f"{node.value!r} ({kind})"


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


class _Reader:
    """Walks the composed node tree, collecting problems; never raises before the end."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[ScenarioProblem] = []
        self.constructor = yaml.SafeLoader("")  # a constructor for scalars and free data
        self.world = WorldDecl()
        self.secrets: dict[str, str] = {}
        self.expected_name: str | None = None  # from the file name, when it has one

    # -- problems -------------------------------------------------------------------------

    def problem(self, node: Node, message: str) -> _Bad:
        mark = node.start_mark
        self.problems.append(ScenarioProblem(self.source, mark.line + 1, mark.column + 1, message))
        return BAD

    # -- primitives -----------------------------------------------------------------------

    def _tag_ok(self, node: Node) -> bool:
        if node.tag not in _STD_TAGS:
            self.problem(node, f"unsupported YAML tag {node.tag!r}: scenario files hold plain data")
            return False
        return True

    def scalar(self, node: Node) -> object:
        if not self._tag_ok(node) or not isinstance(node, ScalarNode):
            return BAD
        if node.tag == "tag:yaml.org,2002:int":
            digits = sum(ch.isdigit() for ch in node.value)
            if digits > MAX_DIGITS:
                return self.problem(
                    node,
                    f"a whole number of {digits:,} digits; the limit is {MAX_DIGITS} "
                    "(max number length)",
                )
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            return self.problem(node, f"cannot read this value: {exc}")

    def data(self, node: Node, what: str) -> object:
        """Free-form plain data (a state payload, an error body): mappings with string keys,
        lists, strings, numbers, booleans and null; placeholders are mapped to secrets."""
        if not self._tag_ok(node):
            return BAD
        if isinstance(node, MappingNode):
            out: dict[str, object] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node)
                if not isinstance(key, str):
                    self.problem(key_node, f"expected a string key in {what}")
                    continue
                if key in out:
                    self.problem(key_node, f"duplicate key {key!r} in {what}")
                    continue
                out[key] = self.data(value_node, what)
            return out
        if isinstance(node, SequenceNode):
            return [self.data(item, what) for item in node.value]
        value = self.scalar(node)
        if isinstance(value, date):  # a YAML date (2024-01-01) or timestamp
            kind = "a timestamp" if isinstance(value, datetime) else "a date"
            return self.problem(
                node, f"expected plain data in {what}, got {kind} ({node.value}); quote it"
            )
        if isinstance(value, str):
            return self.unplaceholder(value)
        return value

    def unplaceholder(self, text: str) -> str:
        """Replace ``<name>`` placeholders of secrets by the values they stand for."""

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self.secrets:
                return self.secrets[name]
            return match.group(0)

        return _PLACEHOLDER.sub(sub, text)

    def string(self, node: Node, what: str, *, allow_empty: bool = False) -> str | _Bad:
        value = self.scalar(node)
        if isinstance(value, _Bad):
            if not isinstance(node, ScalarNode):
                self.problem(node, f"expected {what} as a string, got {_describe(node)}")
            return BAD
        if not isinstance(value, str):
            return self.problem(node, f"expected {what} as a string, got {_describe(node)}")
        if not allow_empty and not value.strip():
            return self.problem(node, f"expected {what} as a non-empty string")
        return self.unplaceholder(value)

    def integer(self, node: Node, what: str, *, low: int, high: int | None = None) -> int | _Bad:
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, int):
            if not isinstance(value, _Bad) or not isinstance(node, ScalarNode):
                self.problem(node, f"expected {what} as a whole number, got {_describe(node)}")
            return BAD
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            return self.problem(node, f"expected {what} {bound}, got {value}")
        return value

    def number(
        self, node: Node, what: str, *, low: float, high: float | None = None
    ) -> float | _Bad:
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, int | float):
            if not isinstance(value, _Bad) or not isinstance(node, ScalarNode):
                self.problem(node, f"expected {what} as a number, got {_describe(node)}")
            return BAD
        if not math.isfinite(value):
            return self.problem(node, f"expected {what} as a finite number, got {value}")
        if value < low or (high is not None and value > high):
            bound = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            return self.problem(node, f"expected {what} {bound}, got {value:g}")
        return float(value)

    def choice(self, node: Node, what: str, choices: tuple[str, ...]) -> str | _Bad:
        value = self.scalar(node)
        if not isinstance(value, str) or value not in choices:
            hint = self.suggest(value if isinstance(value, str) else "", choices)
            return self.problem(
                node,
                f"expected {what} to be one of: {_choices(choices)}; got {_describe(node)}{hint}",
            )
        return value

    @staticmethod
    def suggest(word: str, choices: Iterable[str]) -> str:
        close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
        return f"; did you mean {close[0]!r}?" if close else ""

    def mapping(
        self,
        node: Node,
        what: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> dict[str, Node] | None:
        if not self._tag_ok(node):
            return None
        if not isinstance(node, MappingNode):
            self.problem(node, f"expected {what} as a mapping, got {_describe(node)}")
            return None
        valid = tuple(dict.fromkeys((*required, *optional)))
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            if not isinstance(key, str):
                self.problem(key_node, f"expected a key of {what} as a string")
                continue
            if key not in valid:
                self.problem(
                    key_node,
                    f"unknown key {key!r} in {what}{self.suggest(key, valid)} "
                    f"(valid keys: {_choices(valid)})",
                )
                continue
            if key in out:
                self.problem(key_node, f"duplicate key {key!r} in {what}")
                continue
            out[key] = value_node
        for key in required:
            if key not in out:
                self.problem(node, f"{what} is missing the required key {key!r}")
        return out

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        if not self._tag_ok(node):
            return None
        if not isinstance(node, SequenceNode):
            self.problem(node, f"expected {what} as a list, got {_describe(node)}")
            return None
        return list(node.value)

    def one_key(
        self, node: Node, what: str, kinds: tuple[str, ...], *, bare: tuple[str, ...] = ()
    ) -> tuple[str, Node | None, Node] | None:
        """Read ``kind`` or ``{kind: value}``; returns (kind, value node, node naming it)."""
        usage = f"one of {_choices(kinds)}, as a one-key mapping such as `{kinds[0]}: ...`"
        if not self._tag_ok(node):
            return None
        if isinstance(node, ScalarNode):
            value = self.scalar(node)
            if isinstance(value, str) and value in bare:
                return value, None, node
            if isinstance(value, str) and value in kinds:
                self.problem(node, f"{what} {value!r} needs its fields: `{value}: {{...}}`")
                return None
            word = value if isinstance(value, str) else ""
            self.problem(
                node, f"expected {what}: {usage}; got {_describe(node)}{self.suggest(word, kinds)}"
            )
            return None
        if not isinstance(node, MappingNode) or len(node.value) != 1:
            got = (
                f"a mapping with {len(node.value)} keys"
                if isinstance(node, MappingNode)
                else _describe(node)
            )
            self.problem(node, f"expected {what}: {usage}; got {got}")
            return None
        key_node, value_node = node.value[0]
        kind = self.scalar(key_node)
        if not isinstance(kind, str) or kind not in kinds:
            word = kind if isinstance(kind, str) else ""
            self.problem(
                key_node,
                f"unknown kind {kind!r} of {what}{self.suggest(word, kinds)} "
                f"(expected one of: {_choices(kinds)})",
            )
            return None
        return kind, value_node, key_node

    # -- the scenario -----------------------------------------------------------------------

    def scenario(self, root: Node | None) -> Scenario:
        if root is None:
            self.problems.append(
                ScenarioProblem(self.source, 1, 1, "the file is empty; expected a scenario mapping")
            )
            raise ScenarioSchemaError(self.problems)
        self.check_version(root)
        top = self.mapping(
            root, "the scenario", required=("version", "name", "steps"), optional=TOP_KEYS
        )
        if top is None:
            raise ScenarioSchemaError(self.problems)

        if "configuration" in top:
            self.collect_secrets(top["configuration"])
        name = self.string(top["name"], "the scenario name") if "name" in top else BAD
        if isinstance(name, str) and not _NAME.match(name):
            name = self.problem(
                top["name"],
                "expected the scenario name to be letters, digits, '.', '_' or '-' "
                f"(it names the file and the test), got {name!r}",
            )
        elif isinstance(name, str) and self.expected_name not in (None, name):
            name = self.problem(
                top["name"],
                f"the scenario name {name!r} differs from its file name "
                f"{self.expected_name}.scenario.yaml; rename one so they match",
            )
        description = (
            self.string(top["description"], "the description", allow_empty=True)
            if "description" in top
            else ""
        )
        integration = (
            self.string(top["integration"], "the integration (package.module:attribute or a path)")
            if "integration" in top
            else None
        )
        configuration = self.configuration(top["configuration"]) if "configuration" in top else None
        world = self.world_decl(top["world"]) if "world" in top else WorldDecl()
        if isinstance(world, WorldDecl):
            self.world = world
        options = self.options(top["options"]) if "options" in top else ScenarioOptions()
        expect = self.expect(top["expect"]) if "expect" in top else Expect()
        steps = self.steps(top["steps"]) if "steps" in top else BAD

        if self.problems:
            raise ScenarioSchemaError(sorted(self.problems, key=lambda p: (p.line, p.column)))
        return Scenario(
            name=cast(str, name),
            description=cast(str, description),
            integration=cast("str | None", integration),
            configuration=cast("dict[str, object] | None", configuration),
            world=cast(WorldDecl, world),
            expect=cast(Expect, expect),
            options=cast(ScenarioOptions, options),
            steps=cast("tuple[Step, ...]", steps),
        )

    def check_version(self, root: Node) -> None:
        """The version comes first: a newer file must say so, not list "unknown keys"."""
        if not isinstance(root, MappingNode):
            return
        for key_node, value_node in root.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "version":
                version = self.scalar(value_node)
                if isinstance(version, _Bad):
                    continue  # the problem is recorded
                if isinstance(version, int) and not isinstance(version, bool):
                    if version > FORMAT_VERSION:
                        mark = value_node.start_mark
                        raise ScenarioVersionError(
                            ScenarioProblem(
                                self.source,
                                mark.line + 1,
                                mark.column + 1,
                                f"this scenario file is format version {version}, but the "
                                f"installed lifecycle-harness reads versions up to "
                                f"{FORMAT_VERSION}; upgrade lifecycle-harness to replay it",
                            ),
                            version,
                        )
                    if version < 1:
                        self.problem(
                            value_node, f"expected `version: {FORMAT_VERSION}`, got {version}"
                        )
                else:
                    self.problem(
                        value_node,
                        f"expected `version: {FORMAT_VERSION}` (a whole number), got {_describe(value_node)}",
                    )

    def collect_secrets(self, node: Node) -> None:
        """Secrets first, so that placeholders anywhere in the file can be mapped back."""
        if not isinstance(node, MappingNode):
            return
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and isinstance(value_node, ScalarNode):
                key, value = key_node.value, value_node.value
                if value == placeholder(key):
                    self.secrets[key] = placeholder_value(key)

    def configuration(self, node: Node) -> dict[str, object] | _Bad:
        if not isinstance(node, MappingNode):
            return self.problem(
                node, f"expected the configuration as a mapping, got {_describe(node)}"
            )
        for key_node, value_node in node.value:
            # The default shop key; a file for another key is checked when its world is built.
            if isinstance(key_node, ScalarNode) and key_node.value == "shopName":
                value = self.scalar(value_node) if isinstance(value_node, ScalarNode) else node
                problem = shop_handle_problem(value)
                if problem is not None and not isinstance(value_node, ScalarNode):
                    problem = f"expected a shop handle such as 'acme', got {_describe(value_node)}"
                if problem is not None:
                    return self.problem(value_node, f"configuration.shopName: {problem}")
        for key_node, value_node in node.value:
            # A placeholder stands for the secret of its own key (``access_token: <access_token>``);
            # any other one would be replayed as the literal text "<name>".
            if isinstance(key_node, ScalarNode) and isinstance(value_node, ScalarNode):
                whole = _PLACEHOLDER.fullmatch(value_node.value)
                if (
                    whole is not None
                    and value_node.style is None
                    and whole.group(1) != key_node.value
                ):
                    self.problem(
                        value_node,
                        f"unknown placeholder {value_node.value} for configuration."
                        f"{key_node.value}: a placeholder names its own key "
                        f"({placeholder(key_node.value)}); write a value or that placeholder",
                    )
        # A literal secret is accepted (it may be made up); the harness never writes one.
        data = self.data(node, "the configuration")
        if not isinstance(data, dict) or _contains_bad(data):
            return BAD
        return data

    def world_decl(self, node: Node) -> WorldDecl | _Bad:
        fields = self.mapping(node, "the world", optional=WORLD_KEYS)
        if fields is None:
            return BAD
        bots = (
            self.integer(fields["bots"], "world.bots", low=1, high=_MAX_BOTS)
            if "bots" in fields
            else 1
        )
        shops = (
            self.integer(fields["shops"], "world.shops", low=1, high=_MAX_SHOPS)
            if "shops" in fields
            else 1
        )
        crowd = (
            self.integer(fields["crowd"], "world.crowd", low=0, high=_MAX_CROWD)
            if "crowd" in fields
            else 0
        )
        other_apps = (
            self.integer(fields["other_apps"], "world.other_apps", low=0, high=_MAX_SHOPS)
            if "other_apps" in fields
            else 0
        )
        if isinstance(bots, int) and isinstance(shops, int) and shops > bots:
            self.problem(
                fields["shops"],
                f"world.shops ({shops}) is more than world.bots ({bots}): a shop without a bot "
                "has nothing to test",
            )
        # Seeds refer to bots and shops; read them against the counts declared here.
        partial = WorldDecl(
            bots=bots if isinstance(bots, int) else _MAX_BOTS,
            shops=shops if isinstance(shops, int) else _MAX_SHOPS,
        )
        self.world = partial
        subscriptions: list[SeedSubscription] = []
        for item in (
            self.sequence(fields["subscriptions"], "world.subscriptions") or []
            if "subscriptions" in fields
            else []
        ):
            seed = self.seed_subscription(item)
            if isinstance(seed, SeedSubscription):
                if seed in subscriptions:
                    # Shopify refuses a second subscription of one topic to one address.
                    self.problem(
                        item,
                        f"duplicate world subscription: {seed.topic} to {seed.address} on "
                        f"{seed.shop} ({seed.app} app) is declared twice; Shopify keeps one "
                        "subscription per topic and address",
                    )
                    continue
                subscriptions.append(seed)
        states: list[SeedState] = []
        for item in (
            self.sequence(fields["states"], "world.states") or [] if "states" in fields else []
        ):
            state = self.seed_state(item)
            if isinstance(state, SeedState):
                states.append(state)
        clock: datetime | _Bad | None = None
        if "clock" in fields:
            clock = self.timestamp(fields["clock"])
        if any(isinstance(v, _Bad) for v in (bots, shops, crowd, other_apps, clock)):
            return BAD
        return WorldDecl(
            bots=cast(int, bots),
            shops=cast(int, shops),
            crowd=cast(int, crowd),
            other_apps=cast(int, other_apps),
            subscriptions=tuple(subscriptions),
            states=tuple(states),
            clock=cast("datetime | None", clock),
        )

    def timestamp(self, node: Node) -> datetime | _Bad:
        value = self.scalar(node)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            return self.problem(
                node,
                "expected world.clock as an ISO 8601 time such as 2026-01-15T09:00:00Z, "
                f"got {_describe(node)}",
            )
        if value.tzinfo is None:
            # YAML timestamps without an offset are UTC by the YAML spec; PyYAML drops the zone.
            value = value.replace(tzinfo=UTC)
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            value = CLOCK_MAX.replace(year=9999)  # beyond any bound: reported just below
        if not CLOCK_MIN <= value <= CLOCK_MAX:
            # The virtual clock must be able to advance (sleeps, latency, advance steps) without
            # leaving datetime's range, and API versions are derived from it.
            return self.problem(
                node,
                f"expected world.clock from {CLOCK_MIN:%Y-%m-%dT%H:%M:%SZ} to "
                f"{CLOCK_MAX:%Y-%m-%dT%H:%M:%SZ}, got {value:%Y-%m-%dT%H:%M:%SZ}",
            )
        return value

    def bot(self, node: Node, what: str) -> str | _Bad:
        value = self.string(node, what)
        if isinstance(value, _Bad):
            return value
        names = self.world.bot_names()
        if value not in names:
            hint = self.suggest(value, names)
            return self.problem(
                node,
                f"expected {what} to name a bot of the world ({_choices(names)}); got {value!r}"
                f"{hint}"
                + ("" if hint or not value.startswith("bot") else "; raise world.bots to add bots"),
            )
        return value

    def shop(self, node: Node, what: str) -> str | _Bad:
        value = self.string(node, what)
        if isinstance(value, _Bad):
            return value
        names = self.world.shop_names()
        if value not in names:
            return self.problem(
                node,
                f"expected {what} to name a shop of the world ({_choices(names)}); got {value!r}"
                f"{self.suggest(value, names)}",
            )
        return value

    def seed_subscription(self, node: Node) -> SeedSubscription | _Bad:
        fields = self.mapping(
            node,
            "a world subscription",
            required=("topic",),
            optional=("shop", "app", "address"),
        )
        if fields is None:
            return BAD
        default = SeedSubscription()
        shop = (
            self.shop(fields["shop"], "the subscription's shop")
            if "shop" in fields
            else default.shop
        )
        app = (
            self.choice(fields["app"], "the subscription's app", ("same", "other"))
            if "app" in fields
            else default.app
        )
        topic = (
            self.string(fields["topic"], "the subscription's topic") if "topic" in fields else BAD
        )
        if isinstance(topic, str) and fake_topics.topic(topic) is None:
            rest = fake_topics.rest_topic(topic)
            hint = (
                f"; write its REST name {rest!r}"
                if rest is not None
                else self.suggest(topic, fake_topics.TOPICS)
            )
            topic = self.problem(
                fields["topic"], f"unknown webhook topic {topic!r} in a world subscription{hint}"
            )
        address = (
            self.string(fields["address"], "the subscription's address")
            if "address" in fields
            else default.address
        )
        if isinstance(address, str):
            for match in re.finditer(r"<webhook_url:([^>]*)>", address):
                if match.group(1) not in self.world.bot_names():
                    self.problem(
                        fields["address"],
                        f"<webhook_url:{match.group(1)}> names no bot of the world "
                        f"({_choices(self.world.bot_names())})",
                    )
        values = (shop, app, topic, address)
        if any(isinstance(v, _Bad) for v in values):
            return BAD
        return SeedSubscription(
            shop=cast(str, shop),
            app=cast(Any, app),
            topic=cast(str, topic),
            address=cast(str, address),
        )

    def seed_state(self, node: Node) -> SeedState | _Bad:
        fields = self.mapping(
            node,
            "a world state",
            required=("name", "payload"),
            optional=("bot", "type", "id"),
        )
        if fields is None:
            return BAD
        bot = self.bot(fields["bot"], "the state's bot") if "bot" in fields else "bot1"
        state_type = (
            self.choice(fields["type"], "the state's type", ("integration", "conversation", "user"))
            if "type" in fields
            else "integration"
        )
        state_id = self.string(fields["id"], "the state's id") if "id" in fields else None
        name = self.string(fields["name"], "the state's name") if "name" in fields else BAD
        payload: object = BAD
        if "payload" in fields:
            if isinstance(fields["payload"], MappingNode):
                payload = self.data(fields["payload"], "the state's payload")
            else:
                # The platform's state API takes an object (setState's payload).
                payload = self.problem(
                    fields["payload"],
                    f"expected the state's payload as a mapping, got {_describe(fields['payload'])}",
                )
        if _contains_bad(payload) or any(
            isinstance(v, _Bad) for v in (bot, state_type, state_id, name)
        ):
            return BAD
        return SeedState(
            name=cast(str, name),
            payload=payload,
            bot=cast(str, bot),
            type=cast(Any, state_type),
            id=cast("str | None", state_id),
        )

    def options(self, node: Node) -> ScenarioOptions | _Bad:
        fields = self.mapping(
            node,
            "the options",
            optional=(
                "strictness",
                "clean_allowlist",
                "malformed_version",
                "topic_update",
                "burst",
            ),
        )
        if fields is None:
            return BAD
        strictness: list[tuple[str, str]] = []
        ok = True
        if "strictness" in fields:
            levels = self.mapping(
                fields["strictness"], "options.strictness", optional=tuple(STRICTNESS_LEVELS)
            )
            if levels is None:
                ok = False
            else:
                for prop, level_node in levels.items():
                    level = self.choice(
                        level_node, f"the strictness of {prop}", STRICTNESS_LEVELS[prop]
                    )
                    if isinstance(level, _Bad):
                        ok = False
                    elif level != STRICTNESS_LEVELS[prop][0]:
                        strictness.append((prop, level))
        allow: list[str] = []
        if "clean_allowlist" in fields:
            items = self.sequence(fields["clean_allowlist"], "options.clean_allowlist")
            if items is None:
                ok = False
            for item in items or []:
                value = self.string(item, "a state name in options.clean_allowlist")
                if isinstance(value, str):
                    allow.append(value)
                else:
                    ok = False
        malformed = (
            self.choice(
                fields["malformed_version"],
                "options.malformed_version",
                ("not_found", "fall_forward"),
            )
            if "malformed_version" in fields
            else "not_found"
        )
        topic_update = (
            self.choice(fields["topic_update"], "options.topic_update", ("ignore", "reject"))
            if "topic_update" in fields
            else "ignore"
        )
        burst = False
        if "burst" in fields:
            burst_value: object = self.scalar(fields["burst"])
            if not isinstance(burst_value, bool):
                self.problem(
                    fields["burst"],
                    f"expected options.burst as true or false, got {_describe(fields['burst'])}",
                )
                ok = False
            else:
                burst = burst_value
        if not ok or isinstance(malformed, _Bad) or isinstance(topic_update, _Bad):
            return BAD
        return ScenarioOptions(
            burst=burst,
            strictness=tuple(sorted(strictness)),
            clean_allowlist=tuple(allow),
            malformed_version=cast(Any, malformed),
            topic_update=cast(Any, topic_update),
        )

    def property_list(self, node: Node, what: str) -> tuple[str, ...] | _Bad:
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if value == "all":
            return PROPERTY_IDS
        items = self.sequence(node, f"{what} (a list of property ids, or `all`)")
        if items is None:
            return BAD
        out: list[str] = []
        for item in items:
            prop = self.choice(item, "a property id", PROPERTY_IDS)
            if isinstance(prop, str):
                if prop in out:
                    self.problem(item, f"property {prop!r} is listed twice in {what}")
                out.append(prop)
        if len(out) != len(items):
            return BAD
        return tuple(out)

    def expect(self, node: Node) -> Expect | _Bad:
        fields = self.mapping(node, "expect", optional=("properties", "violated"))
        if fields is None:
            return BAD
        properties = (
            self.property_list(fields["properties"], "expect.properties")
            if "properties" in fields
            else PROPERTY_IDS
        )
        violated = (
            self.property_list(fields["violated"], "expect.violated")
            if "violated" in fields
            else ()
        )
        if isinstance(properties, _Bad) or isinstance(violated, _Bad):
            return BAD
        missing = [p for p in violated if p not in properties]
        if missing:
            self.problem(
                fields["violated"],
                f"expect.violated names {_choices(missing)}, which expect.properties does not check",
            )
            return BAD
        return Expect(properties=properties, violated=violated)

    # -- steps ------------------------------------------------------------------------------

    def steps(self, node: Node) -> tuple[Step, ...] | _Bad:
        items = self.sequence(node, "the steps")
        if items is None:
            return BAD
        if not items:
            return self.problem(node, "expected at least one step")
        if len(items) > MAX_STEPS:
            return self.problem(
                node, f"{len(items):,} steps, more than the limit of {MAX_STEPS:,} (max steps)"
            )
        steps = [self.step(item) for item in items]
        if any(isinstance(s, _Bad) for s in steps):
            return BAD
        return tuple(cast("list[Step]", steps))

    def step(self, node: Node, *, hooks_only: bool = False) -> Step | _Bad:
        kinds = HOOK_KINDS if hooks_only else tuple(STEP_KINDS)
        bare = tuple(k for k in kinds if k not in ("fault", "advance", "concurrently"))
        what = "a step inside concurrently (a hook call)" if hooks_only else "a step"
        read = self.one_key(node, what, kinds, bare=bare)
        if read is None:
            return BAD
        kind, value, key_node = read
        if kind == "concurrently":
            assert value is not None
            return self.concurrently(value)
        if kind == "fault":
            assert value is not None
            return self.fault(value)
        if value is not None and isinstance(value, ScalarNode) and self.scalar(value) is None:
            value = None  # `- register:` with nothing after it: all defaults
        reader = _STEP_FIELDS[kind]
        return reader(self, value, key_node)

    def simple(
        self,
        value: Node | None,
        key_node: Node,
        kind: str,
        build: Callable[..., Step],
        specs: dict[str, Callable[[_Reader, Node], object]],
        required: tuple[str, ...] = (),
    ) -> Step | _Bad:
        if value is None:
            if required:
                return self.problem(
                    key_node, f"a {kind} step needs {_choices(repr(r) for r in required)}"
                )
            return build()
        fields = self.mapping(
            value,
            f"a {kind} step",
            required=required,
            optional=tuple(k for k in specs if k not in required),
        )
        if fields is None:
            return BAD
        kwargs = {name: specs[name](self, fields[name]) for name in fields}
        if any(r not in fields for r in required) or any(
            isinstance(v, _Bad) for v in kwargs.values()
        ):
            return BAD
        return build(**kwargs)

    def concurrently(self, node: Node) -> Step | _Bad:
        items = self.sequence(node, "concurrently (a list of hook calls)")
        if items is None:
            return BAD
        if len(items) < 2:
            return self.problem(node, "expected at least two hook calls to run concurrently")
        steps = [self.step(item, hooks_only=True) for item in items]
        if any(isinstance(s, _Bad) for s in steps):
            return BAD
        return Concurrently(steps=tuple(cast("list[HookStep]", steps)))

    def fault(self, node: Node) -> Step | _Bad:
        fields = self.mapping(
            node, "a fault step", required=("effect",), optional=("match", "schedule")
        )
        if fields is None:
            return BAD
        effect = self.effect(fields["effect"]) if "effect" in fields else BAD
        match = self.match(fields["match"]) if "match" in fields else Match()
        schedule = self.schedule(fields["schedule"]) if "schedule" in fields else Next()
        if isinstance(effect, _Bad) or isinstance(match, _Bad) or isinstance(schedule, _Bad):
            return BAD
        return ShopifyFault(effect=effect, match=match, schedule=schedule)

    def effect(self, node: Node) -> FaultEffect | _Bad:
        read = self.one_key(
            node, "a fault effect", EFFECT_KINDS, bare=("transport_error", "lost_response")
        )
        if read is None:
            return BAD
        kind, value, key_node = read
        if kind == "http_error":
            assert value is not None
            fields = self.mapping(
                value,
                "an http_error effect",
                required=("status",),
                optional=("retry_after", "body"),
            )
            if fields is None:
                return BAD
            status = (
                self.integer(fields["status"], "the HTTP status", low=100, high=599)
                if "status" in fields
                else BAD
            )
            retry_after = (
                self.number(fields["retry_after"], "retry_after (seconds)", low=0)
                if "retry_after" in fields
                else None
            )
            body = self.data(fields["body"], "the error body") if "body" in fields else None
            if isinstance(status, _Bad) or isinstance(retry_after, _Bad) or _contains_bad(body):
                return BAD
            return HttpError(status=status, retry_after=retry_after, body=body)
        if kind == "latency":
            if value is None:
                return self.problem(key_node, "a latency effect needs 'seconds'")
            fields = self.mapping(value, "a latency effect", required=("seconds",))
            if fields is None or "seconds" not in fields:
                return BAD
            seconds = self.number(fields["seconds"], "the latency in seconds", low=0)
            return seconds if isinstance(seconds, _Bad) else Latency(seconds=seconds)
        if kind == "transport_error":
            kinds: tuple[str, ...] = get_args(TransportErrorKind)
        else:
            kinds = get_args(LostResponseKind)
        error_kind: str | _Bad = kinds[0] if kind == "transport_error" else "read_timeout"
        if value is not None and not (isinstance(value, ScalarNode) and self.scalar(value) is None):
            fields = self.mapping(value, f"a {kind} effect", optional=("kind",))
            if fields is None:
                return BAD
            if "kind" in fields:
                error_kind = self.choice(fields["kind"], f"the {kind} kind", kinds)
        if isinstance(error_kind, _Bad):
            return BAD
        if kind == "transport_error":
            return TransportError(kind=cast(TransportErrorKind, error_kind))
        return LostResponse(kind=cast(LostResponseKind, error_kind))

    def match(self, node: Node) -> Match | _Bad:
        fields = self.mapping(node, "a fault match", optional=("method", "path", "action", "shop"))
        if fields is None:
            return BAD
        method = (
            self.choice(fields["method"], "the matched method", HTTP_METHODS)
            if "method" in fields
            else None
        )
        path = (
            self.string(fields["path"], "the matched path (an fnmatch glob)")
            if "path" in fields
            else None
        )
        action = self.string(fields["action"], "the matched action") if "action" in fields else None
        if isinstance(action, str) and unknown_action_message(action) is not None:
            # The fake's own rule (fake_shopify.faults), checked here so a misspelt action is an
            # error at its line, not a fault that never fires (or the fake's own usage error
            # during replay).
            known = known_actions()
            action = self.problem(
                fields["action"],
                f"unknown action {action!r} in a fault match{self.suggest(action, known)}"
                f"; valid: {_choices(known)}, or a GraphQL operation name (capitalised, "
                "e.g. CreateWebhook)",
            )
        shop = self.string(fields["shop"], "the matched shop handle") if "shop" in fields else None
        values = (method, path, action, shop)
        if any(isinstance(v, _Bad) for v in values):
            return BAD
        return Match(
            method=cast("str | None", method),
            path=cast("str | None", path),
            action=cast("str | None", action),
            shop=cast("str | None", shop),
        )

    def schedule(self, node: Node) -> Schedule | _Bad:
        read = self.one_key(node, "a schedule", SCHEDULE_KINDS, bare=("always",))
        if read is None:
            return BAD
        kind, value, _key_node = read
        if kind == "always":
            if value is not None and self.scalar(value) not in (None, True):
                return self.problem(value, "expected `schedule: always`")
            return Always()
        assert value is not None
        if kind == "nth":
            n = self.integer(value, "nth (which matching request, from 1)", low=1)
            return n if isinstance(n, _Bad) else Nth(n)
        if kind == "next":
            k = self.integer(value, "next (how many matching requests)", low=1)
            return k if isinstance(k, _Bad) else Next(k)
        fields = self.mapping(value, "a probability schedule", required=("p",), optional=("seed",))
        if fields is None:
            return BAD
        p = (
            self.number(fields["p"], "the probability p", low=0.0, high=1.0)
            if "p" in fields
            else BAD
        )
        seed = self.integer(fields["seed"], "the seed", low=0) if "seed" in fields else 0
        if isinstance(p, _Bad) or isinstance(seed, _Bad):
            return BAD
        return Probability(p=p, seed=seed)


def _contains_bad(value: object) -> bool:
    if isinstance(value, _Bad):
        return True
    if isinstance(value, dict):
        return any(_contains_bad(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_bad(v) for v in value)
    return False


CLOCK_MIN = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_MAX = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
"""Bounds of ``world.clock``: far from datetime's limits, so advancing cannot overflow."""


def _literal_reader(what: str, choices: tuple[str, ...]) -> Callable[[_Reader, Node], object]:
    return lambda reader, node: reader.choice(node, what, choices)


def _bot_reader(reader: _Reader, node: Node) -> object:
    return reader.bot(node, "the bot")


_STEP_FIELDS: dict[str, Callable[[_Reader, Node | None, Node], Step | _Bad]] = {
    "register": lambda r, v, k: r.simple(v, k, "register", Register, {"bot": _bot_reader}),
    "unregister": lambda r, v, k: r.simple(v, k, "unregister", Unregister, {"bot": _bot_reader}),
    "configure": lambda r, v, k: r.simple(
        v,
        k,
        "configure",
        Configure,
        {"bot": _bot_reader, "change": _literal_reader("the change", get_args(ConfigureChange))},
    ),
    "drift": lambda r, v, k: r.simple(
        v,
        k,
        "drift",
        Drift,
        {
            "change": _literal_reader("the drift change", get_args(DriftChange)),
            "bot": _bot_reader,
            "index": lambda r2, n: r2.integer(n, "the subscription index", low=0),
        },
    ),
    "lose_state": lambda r, v, k: r.simple(v, k, "lose_state", LoseState, {"bot": _bot_reader}),
    "platform_fault": lambda r, v, k: r.simple(
        v,
        k,
        "platform_fault",
        PlatformFault,
        {
            "status": lambda r2, n: r2.integer(n, "the platform error status", low=400, high=599),
            "method": _literal_reader("the state-API method", get_args(PlatformMethod)),
            "schedule": lambda r2, n: r2.schedule(n),
        },
    ),
    "crash": lambda r, v, k: r.simple(
        v,
        k,
        "crash",
        Crash,
        {
            "bot": _bot_reader,
            "operation": _literal_reader("the crashed operation", get_args(Operation)),
            "at": lambda r2, n: r2.integer(n, "the crash point's request or call (from 1)", low=1),
            "call": _literal_reader("what the crash point counts", get_args(CrashOn)),
            "when": _literal_reader("when the crash comes", get_args(CrashWhen)),
        },
    ),
    "advance": lambda r, v, k: r.simple(
        v,
        k,
        "advance",
        Advance,
        {"seconds": lambda r2, n: r2.number(n, "the seconds to advance", low=0)},
        required=("seconds",),
    ),
}
