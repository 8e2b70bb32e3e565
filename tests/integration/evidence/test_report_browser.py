"""The HTML report in a real headless Chromium: what a reviewer sees on screen, per scenario.

The page is rendered by Chromium and its visible text (``innerText``: collapsed
``<details>`` excluded) is read back, so the assertions are about what is on the
screen, not what is somewhere in the file. Screenshots are kept in
``$PGGATE_SCREENSHOTS`` when set (for looking at them).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.integration.evidence import scenarios

pytestmark = pytest.mark.browser

PROBE = """<script>
const box = document.getElementById("verdict").getBoundingClientRect();
const out = document.createElement("pre");
out.id = "pggate-probe";
out.textContent = JSON.stringify({
  text: document.body.innerText,
  verdictBottom: box.bottom,
  order: ["verdict", "attention", "proven"].map(id => document.getElementById(id).getBoundingClientRect().top),
});
document.body.appendChild(out);
</script>
"""


def _browser() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian package chromium)")
    return browser


def _chromium(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def seen(folder: Path, tmp_path: Path, name: str) -> dict:
    """Screenshot the report and return what Chromium shows: visible text and layout."""
    page = folder / "report.html"
    text = page.read_text()
    assert "<script" not in text  # the report itself runs no code
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    shot = Path(os.environ.get("PGGATE_SCREENSHOTS") or tmp_path) / f"report-{name}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    _chromium("--window-size=1280,2000", f"--screenshot={shot}", page.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    probe = folder / ".probe.html"  # a copy with a probe script; the report stays script-free
    probe.write_text(text.replace("</body>", PROBE + "</body>"))
    try:
        dom = _chromium("--window-size=1280,1000", "--dump-dom", probe.as_uri()).stdout
    finally:
        probe.unlink()
    found = re.search(r'<pre id="pggate-probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def _first_screen(view: dict) -> str:
    """The visible text up to the end of the verdict card."""
    return view["text"].split("Needs attention")[0]


def _coverage(text: str) -> tuple[int, int]:
    """``Proven N of M table(s)`` as the isolation section shows it."""
    found = re.search(r"Proven (\d+) of (\d+) table\(s\)", text)
    assert found, "no isolation coverage on the page"
    return int(found.group(1)), int(found.group(2))


def _junit_names(folder: Path) -> list[str]:
    return [c.get("name") for c in ET.parse(folder / "junit.xml").getroot().iter("testcase")]


def test_a_go_report_shows_verdict_reasons_and_timeline_on_one_screen(cli, tmp_path, db_url):
    folder = scenarios.stage(cli, tmp_path, db_url)
    view = seen(folder, tmp_path, "go")
    first = _first_screen(view)
    assert "GO" in first and "NO-GO" not in first
    assert re.search(r"Every step passed: \d+ migration\(s\) applied", first)
    assert view["verdictBottom"] <= 1000  # verdict, reasons and timeline fit one screen
    assert view["order"] == sorted(view["order"])  # verdict, then attention, then proven
    for finding_id in scenarios.finding_ids(folder):  # ENV001 etc., not only in report.json
        assert finding_id in view["text"], finding_id
    proven, total = _coverage(view["text"])
    assert proven == total > 0
    assert re.search(
        r"Rolled back \d+ migration\(s\) to version 0: the schema is proven", view["text"]
    )
    # Passing checks are collapsed, and what shows is what was verified, not the problem.
    assert "every table the API roles can reach has row-level security enabled" not in view["text"]
    html_text = (folder / "report.html").read_text()
    assert "every table the API roles can reach has row-level security enabled" in html_text
    assert "Table in an exposed schema without row-level security." not in html_text
    report = (folder / "report.md").read_text()
    for finding_id in scenarios.finding_ids(folder):
        assert finding_id in report, finding_id
    names = _junit_names(folder)
    assert "RLS001: every table the API roles can reach has row-level security enabled" in names
    assert "environment ENV001: the connected role is not a superuser (role postgres)" in names
    assert not any("without row-level security" in n for n in names)


def test_a_leak_report_names_the_table_the_probe_and_the_leaked_key(cli, tmp_path, db_url):
    folder = scenarios.stage(cli, tmp_path, db_url, scenarios.LEAK)
    data = scenarios.report_json(folder)
    leak = next(
        f
        for s in data["steps"]
        for g in s.get("gates", [])
        for f in g["findings"]
        if f["check"] == "RLS010"
    )
    key = leak["details"]["sample_key"]
    view = seen(folder, tmp_path, "leak")
    first = _first_screen(view)
    assert (
        "NO-GO" in first
        and "Gate isolation failed with 1 error(s): RLS010 on public.projects" in first
    )
    assert view["verdictBottom"] <= 1000
    for finding_id in scenarios.finding_ids(folder):
        assert finding_id in view["text"], finding_id
    assert f"Leaked key: {key}" in view["text"]
    proven, total = _coverage(view["text"])
    assert proven < total
    assert re.search(r"public\.projects.*LEAK", view["text"])
    assert "ok (0\n" not in view["text"] and "rows)" not in view["text"]  # cells never wrap
    assert "Rollback rehearsal" in view["text"] and "security, integrity failed" in view["text"]
    report = (folder / "report.md").read_text()
    assert f"Leaked key: `{key}`" in report and f"Proven {proven} of {total} table(s)" in report
    for finding_id in scenarios.finding_ids(folder):
        assert finding_id in report, finding_id
    names = _junit_names(folder)
    assert (
        "RLS010: a member of one tenant reads no row of another tenant (public.projects)" in names
    )


def test_a_failed_rollback_shows_its_diff_inline(cli, tmp_path, db_url):
    folder = scenarios.stage(cli, tmp_path, db_url, scenarios.FORGETFUL_DOWN)
    view = seen(folder, tmp_path, "rollback")
    first = _first_screen(view)
    assert "NO-GO" in first and "Step Rollback rehearsal failed: RBK001 on version 0" in first
    for finding_id in {"RBK001", "RBK002"} | scenarios.finding_ids(folder):
        assert finding_id in view["text"], finding_id
    for line in ("+ domain public.slug", "+ constraint public.slug.slug_check"):
        assert line in view["text"], line
    assert 'type "slug" already exists' in view["text"]  # why the way forward failed
    assert "steps/08_rollback.json" not in view["text"]
    report = (folder / "report.md").read_text()
    assert "+ domain public.slug" in report and 'type "slug" already exists' in report
    names = _junit_names(folder)
    assert (
        "rollback RBK001: rolling back restores the schema recorded at the target version "
        "(version 0)" in names
    )
    failures = [
        c.find("failure").text or ""
        for c in ET.parse(folder / "junit.xml").getroot().iter("testcase")
        if c.find("failure") is not None
    ]
    assert any("+ domain public.slug" in text for text in failures)
