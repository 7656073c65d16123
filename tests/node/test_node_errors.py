"""What a user can get wrong with a TypeScript target: one message naming what to run, exit 2."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.targets.node import (
    BundleError,
    NodeTargetError,
    is_node_target,
    load_node_integration,
    load_package,
)

SDK_PACKAGE = {"name": "my-integration", "dependencies": {"@botpress/sdk": "5.4.3"}}


def make_package(root: Path, manifest: dict[str, object], source: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps(manifest))
    (root / "package-lock.json").write_text("{}")
    if source is not None:
        (root / "src").mkdir(exist_ok=True)
        (root / "src" / "index.ts").write_text(source)
    return root


def run_check(target: Path) -> tuple[int, str]:
    err = io.StringIO()
    code = main(["check", str(target)], out=io.StringIO(), err=err)
    return code, err.getvalue()


def test_missing_node_modules_names_npm_ci(tmp_path):
    pkg = make_package(tmp_path / "pkg", SDK_PACKAGE, "export default 1\n")
    with pytest.raises(NodeTargetError, match=r"node_modules is not installed .* run `npm ci` in"):
        load_package(pkg)
    code, err = run_check(pkg)
    assert code == 2
    assert "npm ci" in err
    assert err.count("\n") == 1


def test_a_package_without_the_sdk_is_refused(tmp_path):
    pkg = make_package(tmp_path / "pkg", {"name": "x", "dependencies": {"axios": "1"}}, "x\n")
    code, err = run_check(pkg)
    assert code == 2
    assert "does not depend on @botpress/sdk" in err


def test_an_sdk_outside_the_supported_range_is_refused(tmp_path):
    pkg = make_package(tmp_path / "pkg", SDK_PACKAGE, "export default 1\n")
    sdk = pkg / "node_modules" / "@botpress" / "sdk"
    sdk.mkdir(parents=True)
    (sdk / "package.json").write_text(json.dumps({"name": "@botpress/sdk", "version": "4.17.0"}))
    with pytest.raises(
        NodeTargetError, match=r"@botpress/sdk 4\.17\.0.*npm install @botpress/sdk@5\.4\.3"
    ):
        load_package(pkg)
    assert run_check(pkg)[0] == 2


def test_missing_node_names_what_to_install(tmp_path, monkeypatch):
    pkg = make_package(tmp_path / "pkg", SDK_PACKAGE, "export default 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(
        NodeTargetError, match=r"`node` was not found on PATH\. Install Node\.js 18"
    ):
        load_package(pkg)


def test_no_entry_file_says_where_it_looked(tmp_path):
    pkg = make_package(tmp_path / "pkg", SDK_PACKAGE)
    with pytest.raises(NodeTargetError, match=r"no entry file .*src/index.ts"):
        load_package(pkg)


def test_a_bundle_failure_shows_esbuilds_message(tmp_path, probe_package):
    pkg = make_package(
        tmp_path / "pkg", SDK_PACKAGE, "import * as sdk from '@botpress/sdk'\nexport default (\n"
    )
    (pkg / "node_modules").symlink_to(probe_package / "node_modules")
    with pytest.raises(BundleError, match=r"cannot bundle integration 'my-integration'") as info:
        load_node_integration(str(pkg))
    assert "Unexpected end of file" in str(info.value)
    assert "src/index.ts:3:0" in str(info.value)  # esbuild's own location of the error
    assert run_check(pkg)[0] == 2


def test_an_entry_without_an_integration_export_fails_to_start(tmp_path, probe_package):
    pkg = make_package(tmp_path / "pkg", SDK_PACKAGE, "export default { notAnIntegration: 1 }\n")
    (pkg / "node_modules").symlink_to(probe_package / "node_modules")
    code, err = run_check(pkg)
    assert code == 2
    assert "default export is not an integration" in err


def test_node_targets_are_folders_with_package_json_or_entry_files(tmp_path):
    pkg = make_package(tmp_path / "pkg", SDK_PACKAGE)
    assert is_node_target(str(pkg))
    assert is_node_target(str(pkg / "src" / "index.ts"))
    assert not is_node_target(str(tmp_path))  # a folder without package.json
    assert not is_node_target("harness.examples.correct.find_or_create")
    assert not is_node_target("integration.py")


def test_an_entry_file_finds_its_package(tmp_path, probe_package):
    pkg = tmp_path / "pkg"
    shutil.copytree(probe_package / "src", pkg / "src")
    shutil.copy(probe_package / "package.json", pkg / "package.json")
    (pkg / "node_modules").symlink_to(probe_package / "node_modules")
    found = load_package(pkg / "src" / "index.ts")
    assert found.root == pkg.resolve()
    assert found.entry == (pkg / "src" / "index.ts").resolve()
    assert found.sdk_version == "5.4.3"


def test_the_plugin_resolves_a_package_folder_against_the_rootdir(tmp_path):
    from harness.plugin.runner import resolve_target

    make_package(tmp_path / "integrations" / "shop", SDK_PACKAGE, "x\n")
    assert resolve_target("integrations/shop", tmp_path) == str(tmp_path / "integrations" / "shop")
    assert resolve_target("integrations/shop/src/index.ts", tmp_path) == str(
        tmp_path / "integrations" / "shop" / "src" / "index.ts"
    )
    assert resolve_target("mypkg.module", tmp_path) == "mypkg.module"
