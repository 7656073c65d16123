"""``lifecycle-harness`` (also ``python -m harness``): check, replay, demo.

Exit codes: 0 nothing violated, 1 violations found, 2 bad usage (unknown option, unreadable
config, a target that cannot be loaded: one clear line on stderr).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from harness.check import Progress, check
from harness.cli.project import Project, open_project
from harness.cli.replay import add_replay_parser, run_replay, write_junit, write_markdown
from harness.cli.serve import add_serve_parser, serve
from harness.common.project import (
    DEFAULT_RECORD_DIR,
    TABLE,
    ProjectError,
    shown_path,
    shown_target,
)
from harness.options import Options, OptionsError
from harness.profiles import PROFILES, ProfileError
from harness.reports.markdown import render_markdown
from harness.reports.render import CheckReport, render_json, render_text
from harness.scenarios.model import ScenarioError
from harness.simulator import HookHungError, SimulationError
from harness.supervise import (
    DEFAULT_MEMORY_MB,
    Limits,
    WorkerStop,
    current_isolation,
    escape_attempts,
    partial_report,
    supervise,
)
from harness.targets.python import IntegrationLoadError, load_integration
from harness.world import WorldError, shop_handle_problem

DEMO_TARGET = "harness.examples.buggy.shopify_docs_port"
"""The bundled port of the platform's documented Shopify example (it has the classic bugs)."""

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
PROG = "lifecycle-harness"


class UsageError(Exception):
    """Bad usage the parser cannot see (an unreadable config file...): exit 2, one line."""


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("lifecycle-harness")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find the lifecycle bugs of a bot-platform integration before production does.",
        epilog=f"In a project whose pyproject.toml has a [{TABLE}] table (integration, "
        "configuration, examples, record-dir, profile), `lifecycle-harness check` needs no "
        "arguments; the project root is importable, as with pytest's pythonpath.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{check,replay,demo,serve}")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--examples",
            type=_non_negative,
            metavar="N",
            help="generated lifecycles (default: the profile's, ci = 200)",
        )
        p.add_argument(
            "--seed",
            type=_non_negative,
            default=0,
            metavar="N",
            help="seed of the exploration (default 0; same seed, same report)",
        )
        p.add_argument(
            "--profile",
            choices=sorted(PROFILES),
            help="exploration profile (default: $LIFECYCLE_HARNESS_PROFILE or ci)",
        )
        p.add_argument("--report-json", metavar="PATH", help="write the JSON report to PATH")
        p.add_argument(
            "--record-dir",
            metavar="DIR",
            help=f"directory the scenario file of each violation is written to (default: "
            f"[{TABLE}] record-dir, else {DEFAULT_RECORD_DIR} under the project root; "
            "demo: a new temporary directory)",
        )
        p.add_argument("--report-md", metavar="PATH", help="write a Markdown report to PATH")
        p.add_argument(
            "--junit-xml",
            metavar="PATH",
            help="write a JUnit XML report to PATH (one test case per property and per scenario)",
        )
        p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        p.add_argument(
            "--wall-timeout",
            type=_positive_seconds,
            metavar="SECONDS",
            help="real seconds a hook may run before it counts as hung and the run stops "
            "(default 10; virtual sleeps cost none)",
        )
        p.add_argument(
            "--topics",
            metavar="TOPIC[,TOPIC...]",
            help="webhook topics a fault-free register must leave subscribed at the bot's "
            "webhook_url (property subscribed), e.g. orders/create,ORDERS_PAID",
        )
        p.add_argument(
            "--strict",
            action="store_true",
            help="opt-in levels too: no mutating request on a second register; configuration "
            "saves that move the bot to another shop",
        )

    p_check = sub.add_parser("check", help="check an integration against every property")
    p_check.add_argument(
        "target",
        metavar="TARGET",
        nargs="?",
        help=f"package.module, package.module:attribute, or path/to/file.py (default: "
        f"[{TABLE}] integration in pyproject.toml)",
    )

    def config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config",
            metavar="FILE",
            help="YAML/JSON: the configuration mapping, or {configuration: ..., "
            "shop_key: ..., token_key: ...}",
        )

    config(p_check)
    common(p_check)
    supervision(p_check)
    supervision(add_replay_parser(sub, add_config=config))

    p_demo = sub.add_parser("demo", help="check the bundled port of the documented example")
    p_demo.add_argument(
        "--node",
        action="store_true",
        help="check the documented example itself, in TypeScript on @botpress/sdk under Node "
        "(needs node and npm; the example is installed with npm ci on first use)",
    )
    common(p_demo)
    supervision(p_demo)
    add_serve_parser(sub)
    return parser


def _memory_mb(text: str) -> int:
    value = _non_negative(text)
    if value < 64:
        raise argparse.ArgumentTypeError(f"expected at least 64 (MiB), got {value}")
    return value


def supervision(p: argparse.ArgumentParser) -> None:
    """How the worker that runs the target is confined (see docs/supervisor.md)."""
    p.add_argument(
        "--memory-limit",
        type=_memory_mb,
        default=DEFAULT_MEMORY_MB,
        metavar="MIB",
        help=f"address space the worker running the target may add to what it starts with, "
        f"in MiB (default {DEFAULT_MEMORY_MB}); past it the run stops with a finding",
    )
    p.add_argument(
        "--isolation",
        choices=("auto", "namespace", "guard"),
        default="auto",
        help="network isolation of the worker: its own network namespace (loopback only) "
        "where the system allows it (auto, the default), required (namespace), or the socket "
        "guard only (guard)",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run the target in this process, without the supervised worker (debugging)",
    )


def load_config(path: str) -> dict[str, Any]:
    """``--config FILE``: a mapping that is the configuration, or has a ``configuration`` key."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read --config {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"--config {path} is not YAML or JSON: {exc}".splitlines()[0]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"--config {path} must hold a mapping, found {type(data).__name__}")
    if "configuration" in data:
        conf = data["configuration"]
        if not isinstance(conf, dict):
            raise UsageError(f"--config {path}: 'configuration' must be a mapping")
        unknown = sorted(set(data) - {"configuration", "shop_key", "token_key"})
        if unknown:
            raise UsageError(
                f"--config {path}: unknown key(s) {', '.join(unknown)}; "
                "valid: configuration, shop_key, token_key"
            )
        settings: dict[str, Any] = {
            "configuration": conf,
            "shop_key": str(data.get("shop_key", "shopName")),
            "token_key": str(data.get("token_key", "access_token")),
        }
    else:
        settings = {"configuration": data}
    shop_key = str(settings.get("shop_key", "shopName"))
    configuration: dict[str, Any] = settings["configuration"]
    if shop_key in configuration:
        problem = shop_handle_problem(configuration[shop_key])
        if problem is not None:
            raise UsageError(f"--config {path}: {shop_key}: {problem}")
    return settings


class ProgressBar:
    """A plain-text progress bar on stderr (redrawn in place on a terminal, lines otherwise)."""

    WIDTH = 30

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_decile = -1

    def __call__(self, p: Progress) -> None:
        fraction = p.done / p.total if p.total else 1.0
        filled = int(self.WIDTH * fraction)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        found = f"{p.violations} violation{'s' if p.violations != 1 else ''}"
        line = f"[{bar}] {p.done}/{p.total} {p.phase:<7} {found}"
        if self.tty:
            end = "\n" if p.phase == "done" else ""
            self.stream.write("\r" + line + end)
            self.stream.flush()
            return
        decile = int(fraction * 10)
        if decile != self.last_decile or p.phase == "done":
            self.last_decile = decile
            self.stream.write(line + "\n")
            self.stream.flush()


def check_outputs(args: argparse.Namespace) -> None:
    """Fail before the run, not after it, when a report or record path cannot be written."""
    for flag, attr in (
        ("--report-json", "report_json"),
        ("--report-md", "report_md"),
        ("--junit-xml", "junit_xml"),
    ):
        path = getattr(args, attr, None)
        if path:
            _check_writable_file(flag, Path(path))
    record_dir = getattr(args, "record_dir", None)
    if record_dir:
        _check_writable_dir("--record-dir", Path(record_dir))


def _check_writable_file(flag: str, path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"cannot write {flag} {path}: it is a directory")
    existed = path.exists()
    try:
        # Opening for append is the honest test (permissions, read-only mounts, root or not);
        # a file created only for the test is removed again.
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {flag} {path}: {exc.strerror or exc}") from None
    if not existed:
        path.unlink(missing_ok=True)


def _check_writable_dir(flag: str, path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write {flag} {path}: it is not a directory")
    # The nearest directory that exists must accept new files (the record dir is made later).
    probe_dir = path
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        raise UsageError(f"cannot write {flag} {path}: {probe_dir} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=probe_dir):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {flag} {path}: {exc.strerror or exc}") from None


def _options(args: argparse.Namespace) -> Options:
    opts = Options.strict() if args.strict else Options()
    wall = getattr(args, "wall_timeout", None)
    if wall is not None:
        opts = replace(opts, hook_wall_seconds=wall)
    topics = getattr(args, "topics", None)
    if topics:
        try:
            opts = replace(opts, topics=tuple(t for t in topics.replace(",", " ").split() if t))
        except OptionsError as exc:
            raise UsageError(f"--topics: {exc}") from None
    return opts


Notify = Callable[[str, object], None]


def project_configuration(project: Project) -> dict[str, Any]:
    """The settings of the table's ``configuration`` (a file, or an inline table)."""
    source = project.configuration_source()
    if source is None:
        return {}
    kind, value = source
    if kind == "file":
        return load_config(value)
    configuration = dict(value)
    problem = shop_handle_problem(configuration.get("shopName", "acme"))
    if problem is not None:
        raise UsageError(f"{project.where('configuration')}: shopName: {problem}")
    return {"configuration": configuration}


def _settings(args: argparse.Namespace, project: Project) -> dict[str, Any]:
    if getattr(args, "config", None):
        return load_config(args.config)
    return project_configuration(project)


def _run_check(
    target: str,
    args: argparse.Namespace,
    out: IO[str],
    err: IO[str],
    *,
    settings: dict[str, Any],
    notify: Notify | None = None,
) -> int:
    progress: Callable[[Progress], None] | None = None if args.no_progress else ProgressBar(err)
    if Path(target).is_dir():
        # A TypeScript package: its Node helpers are installed on first use, said on ``err``
        # (in a supervised worker, sys.stderr is the worker's own and nobody reads it).
        from harness.targets.node.helpers import ensure_helpers

        ensure_helpers(stream=err)
    integration = load_integration(target)
    if notify is not None:
        notify(
            "meta",
            {"integration": integration.name, "seed": args.seed, "examples": args.examples or 0},
        )
    try:
        report: CheckReport = check(
            integration,
            configuration=settings.get("configuration"),
            shop_key=settings.get("shop_key", "shopName"),
            token_key=settings.get("token_key", "access_token"),
            examples=args.examples,
            seed=args.seed,
            profile=args.profile,
            record_dir=args.record_dir,
            progress=progress,
            options=_options(args),
            on_violation=None if notify is None else (lambda v: notify("found", v)),
        )
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    report.command = _reproduce(target, args)
    report.isolation = current_isolation()
    report.escapes = escape_attempts()
    _shown(report, args)
    out.write(render_text(report))
    if args.junit_xml:
        write_junit(args.junit_xml, report, options=_options(args))
    if args.report_json:
        try:
            Path(args.report_json).write_text(render_json(report), encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot write --report-json {args.report_json}: {exc.strerror}"
            ) from None
    if args.report_md:
        try:
            write_markdown(args.report_md, report, integration=integration)
        except OSError as exc:
            raise UsageError(f"cannot write --report-md {args.report_md}: {exc.strerror}") from None
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def _reproduce(target: str, args: argparse.Namespace) -> str:
    """The command that repeats this check, paths relative to the project root; options that
    came from [tool.lifecycle-harness] are left to the table."""
    if getattr(args, "command", None) == "demo":
        argv = ["lifecycle-harness", "demo"]
    else:
        argv = ["lifecycle-harness", "check"]
        if getattr(args, "target", None):
            argv.append(shown_target(target))
    argv += ["--seed", str(args.seed)]
    given = getattr(args, "given", {})
    if given.get("examples") is not None:
        argv += ["--examples", str(given["examples"])]
    if given.get("profile") is not None:
        argv += ["--profile", given["profile"]]
    if getattr(args, "config", None):
        argv += ["--config", shown_path(args.config)]
    if args.strict:
        argv.append("--strict")
    if getattr(args, "wall_timeout", None) is not None:
        argv += ["--wall-timeout", str(args.wall_timeout)]
    return shlex.join(argv)


def main(
    argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "serve":  # runs no target: the fakes on loopback, in this process
        return _dispatch(args, out, err)
    try:
        check_outputs(args)
    except UsageError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    try:
        _default_record_dir(args)
        _install_node_needs(args, err)
    except (UsageError, ProjectError) as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    except IntegrationLoadError as exc:
        err.write(f"{PROG}: error: {str(exc).strip() or type(exc).__name__}\n")
        return EXIT_USAGE
    _absolute_outputs(args)
    if args.in_process:
        return _dispatch(args, out, err)
    return _supervised(args, out, err)


def _install_node_needs(args: argparse.Namespace, err: IO[str]) -> None:
    """``npm ci`` of the harness's Node helpers (and of the demo's TypeScript example) before the
    worker starts: the worker may run in a network namespace that reaches no package registry."""
    node_demo = args.command == "demo" and getattr(args, "node", False)
    target = getattr(args, "target", None) if args.command == "check" else None
    if not node_demo and not (target and Path(target).is_dir()):
        return
    from harness.targets.node.helpers import ensure_helpers, installed_example

    if node_demo:
        installed_example("shopify-docs", stream=err)
    ensure_helpers(stream=err)


def _default_record_dir(args: argparse.Namespace) -> None:
    """Where failing scenarios go, decided before the target runs, so that the supervisor
    records what a stopped worker had found in the same place the worker would have."""
    if getattr(args, "record_dir", "") is not None or args.command not in ("check", "demo"):
        return
    if args.command == "demo":
        # The demo's findings are not the user's: never into their project unasked.
        args.record_dir = tempfile.mkdtemp(prefix="lifecycle-harness-demo-")
    else:
        args.record_dir = str(open_project().record_dir())


def _absolute_outputs(args: argparse.Namespace) -> None:
    """Fix where reports go before the target runs: a hook's ``os.chdir`` moves nothing."""
    args.start_dir = os.getcwd()
    for attr in ("report_json", "report_md", "record_dir"):
        value = getattr(args, attr, None)
        if value:
            setattr(args, attr, str(Path(value).absolute()))


def _shown(report: CheckReport, args: argparse.Namespace) -> None:
    """Recorded files as the user named them: relative to where the command started."""
    base = getattr(args, "start_dir", None)
    if base is None:
        return
    for index, path in report.scenarios.items():
        relative = os.path.relpath(path, base)
        if not relative.startswith(".." + os.sep):
            report.scenarios[index] = relative


def _dispatch(
    args: argparse.Namespace, out: IO[str], err: IO[str], notify: Notify | None = None
) -> int:
    try:
        if args.command == "serve":
            return serve(args, out)
        project = open_project()
        table_topics = project.table.get("topics")
        if getattr(args, "topics", None) is None and isinstance(table_topics, list):
            # [tool.lifecycle-harness] topics, as --topics would give them
            args.topics = ",".join(str(topic) for topic in table_topics)
        if args.command == "demo" and args.node:
            from harness.targets.node.helpers import installed_example

            if args.record_dir is None:
                # The demo's findings are not the user's: never into their project unasked.
                args.record_dir = tempfile.mkdtemp(prefix="lifecycle-harness-demo-")
            args.given = {"examples": args.examples, "profile": args.profile}
            check_outputs(args)
            target = str(installed_example("shopify-docs", stream=err))
            err.write(
                f"{PROG} demo: checking the platform's documented Shopify example in TypeScript "
                "(@botpress/sdk, bundled as the platform bundles it and served by Node); "
                f"failing scenarios go to {args.record_dir}\n"
            )
            return _run_check(target, args, out, err, settings={}, notify=notify)
        if args.command == "demo":
            if args.record_dir is None:
                # The demo's findings are not the user's: never into their project unasked.
                args.record_dir = tempfile.mkdtemp(prefix="lifecycle-harness-demo-")
            args.given = {"examples": args.examples, "profile": args.profile}
            check_outputs(args)
            err.write(
                f"{PROG} demo: checking {DEMO_TARGET}, the platform's documented Shopify "
                f"example ported to Python; failing scenarios go to {args.record_dir}\n"
            )
            return _run_check(DEMO_TARGET, args, out, err, settings={}, notify=notify)
        if args.command == "replay":
            check_outputs(args)
            return run_replay(
                args,
                out,
                settings=_settings(args, project),
                default_integration=project.integration(),
                notify=notify,
            )
        chosen: str | None = args.target or project.integration()
        if chosen is None:
            raise UsageError(
                f"no TARGET given and no [{TABLE}] integration in "
                f"{shown_path(project.pyproject) if project.pyproject.is_file() else 'pyproject.toml'}"
                "; pass one (package.module, package.module:attribute or path/to/file.py) or "
                f'add it to pyproject.toml: [{TABLE}] integration = "mypackage.integration"'
            )
        args.given = {"examples": args.examples, "profile": args.profile}
        if args.examples is None:
            args.examples = project.examples()
        if args.profile is None:
            args.profile = project.profile()
        if args.record_dir is None:
            args.record_dir = str(project.record_dir())
        check_outputs(args)
        return _run_check(chosen, args, out, err, settings=_settings(args, project), notify=notify)
    except IntegrationLoadError as exc:
        # One line says what is wrong; an import failure adds the import's traceback below it.
        text = str(exc).strip() or type(exc).__name__
        err.write(f"{PROG}: error: {text}\n")
        return EXIT_USAGE
    except (UsageError, ScenarioError, WorldError, SimulationError, ProjectError) as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    except HookHungError as exc:
        if notify is not None:
            # Supervised: the supervisor writes the report of what was found before the hang.
            raise WorkerStop("hang", exc.reason) from None
        # A hang ends the run at once: every further call would cost another wall timeout.
        err.write("\n")
        out.write(f"{PROG}: {exc}\n")
        return EXIT_VIOLATIONS


class _ToSupervisor:
    """A text stream of the worker that the supervisor writes out (``out`` or ``err``)."""

    def __init__(self, send: Notify, kind: str) -> None:
        self.send = send
        self.kind = kind

    def write(self, text: str) -> int:
        self.send(self.kind, text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _supervised(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    wall = getattr(args, "wall_timeout", None)
    limits = Limits(
        wall_timeout=wall if wall is not None else Options().hook_wall_seconds,
        memory_mb=args.memory_limit,
        isolation=args.isolation,
    )

    def job(channel: object) -> int:
        send: Notify = channel.send  # type: ignore[attr-defined]
        worker_out = _ToSupervisor(send, "out")
        worker_err = _ToSupervisor(send, "err")
        return _dispatch(args, worker_out, worker_err, notify=send)  # type: ignore[arg-type]

    def on_message(kind: str, payload: object) -> None:
        if kind in ("out", "err") and isinstance(payload, str):
            stream = out if kind == "out" else err
            stream.write(payload)
            stream.flush()

    outcome = supervise(job, limits=limits, on_message=on_message)
    if outcome.stop is None:
        code = int(outcome.result)
        late = [
            text
            for kind, text in outcome.messages
            if kind == "escape" and str(text).startswith("after the last")
        ]
        for text in late:
            out.write(f"network escape attempt: {text}\n")
        return EXIT_VIOLATIONS if late and code == EXIT_OK else code
    if outcome.stop.kind == "error" and outcome.stop.cause.startswith("cannot enter"):
        err.write(f"{PROG}: error: {outcome.stop.cause}\n")
        return EXIT_USAGE
    name = DEMO_TARGET if args.command == "demo" else getattr(args, "target", None) or ""
    report = partial_report(
        outcome,
        integration=name,
        seed=getattr(args, "seed", None),
        examples=getattr(args, "examples", None) or 0,
        record_dir=getattr(args, "record_dir", None) if args.command != "replay" else None,
    )
    _shown(report, args)
    err.write("\n")
    out.write(render_text(report))
    if outcome.output.strip():
        out.write(f"worker output (bounded):\n{outcome.output.rstrip()}\n")
    if args.report_json:
        _write_or_say(args.report_json, render_json(report), "--report-json", err)
    if args.report_md:
        text = render_markdown(report, title=f"{PROG} {args.command}")
        _write_or_say(args.report_md, text, "--report-md", err)
    return EXIT_INTERRUPTED if outcome.stop.kind == "interrupt" else EXIT_VIOLATIONS


def _write_or_say(path: str, text: str, flag: str, err: IO[str]) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        err.write(f"{PROG}: error: cannot write {flag} {path}: {exc.strerror or exc}\n")
