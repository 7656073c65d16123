"""One count everywhere: the headline, the library line, the progress bar, Markdown and JSON."""

from __future__ import annotations

import json
import re

from harness.check import Progress, check
from harness.reports.markdown import LibraryResult, render_markdown
from harness.reports.render import render_json, render_text


def test_headline_library_progress_markdown_and_json_agree() -> None:
    seen: list[Progress] = []
    report = check("harness.examples.buggy.shopify_docs_port", examples=3, progress=seen.append)
    count = len(report.violations)
    assert count > 0

    # The progress total is known from the first tick and never changes; the last count is the
    # report's, and the library phase already counts what the library finds.
    assert {p.total for p in seen} == {seen[0].total}
    assert seen[-1].phase == "done"
    assert (seen[-1].done, seen[-1].violations) == (seen[-1].total, count)
    library_ticks = [p for p in seen if p.phase == "library"]
    assert library_ticks
    assert library_ticks[-1].violations > 0

    text = render_text(report)
    assert re.match(rf"\S+: {count} violations \(", text)
    failed = sum(1 for _, ok, _ in report.library if not ok)
    assert failed > 0
    assert (
        f"scenario library: {len(report.library) - failed} of {len(report.library)} scenarios "
        f"passed; the {failed} that failed violate only properties of the {count} violations above"
    ) in text
    # ... which is true: every property a library scenario violated is among the violations.
    reported = {v.property for v in report.violations}
    for _, ok, detail in report.library:
        if not ok:
            assert set(detail.removeprefix("violated ").split(", ")) <= reported, detail

    data = json.loads(render_json(report))
    assert data["summary"] == {
        "violations": count,
        "properties": sorted(reported),
        "library": {
            "scenarios": len(report.library),
            "passed": len(report.library) - failed,
            "failed": failed,
        },
    }
    assert len(data["violations"]) == count

    library = [LibraryResult(name, ok, detail) for name, ok, detail in report.library]
    markdown = render_markdown(report, library=library)
    assert markdown.startswith(f"## lifecycle-harness: {count} violations in ")
    assert f"violate only properties of the {count} violations below" in markdown
