"""``junit.xml``: the gates as tests, so CI systems show them next to unit tests.

One ``testsuite`` per gate, one ``testcase`` per check x object, each named by
what the check verifies ("RLS001: every table in an exposed schema has
row-level security enabled"), never by the problem it catches: a check with
findings has a case per object it flagged (errors are failures; warnings and
info pass with the message in ``system-out``); a check without findings is one
passing case, or a skipped one when its probes did not run on every table. The
pipeline's steps form one more suite, with a case per finding of a step that is
not a gate (environment, validate, migrate, rollback).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..results import Finding, Severity, Status
from .view import STEP_CHECK_VERIFIED, STEP_VERIFIED, GateView, ReportView


def render(view: ReportView) -> str:
    """The JUnit XML document."""
    root = ET.Element("testsuites", name=f"pggate {view.env}")
    root.append(_steps_suite(view))
    for gate in view.gates():
        root.append(_gate_suite(gate))
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(name: str, duration_ms: float) -> ET.Element:
    return ET.Element("testsuite", name=name, time=f"{duration_ms / 1000:.3f}")


def _count(suite: ET.Element) -> ET.Element:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    return suite


def _steps_suite(view: ReportView) -> ET.Element:
    suite = _suite("pipeline", sum(s.duration_ms for s in view.steps()))
    for step in view.steps():
        verified = STEP_VERIFIED.get(step.step, "")
        case = ET.SubElement(
            suite,
            "testcase",
            classname="pggate.pipeline",
            name=f"{step.step}: {verified}" if verified else step.step,
            time=f"{step.duration_ms / 1000:.3f}",
        )
        if step.status == Status.SKIP:
            ET.SubElement(case, "skipped", message=str(step.data.get("reason", "skipped")))
        elif step.status == Status.ERROR:
            message = str((step.error or {}).get("message", "error"))
            ET.SubElement(
                case, "error", message=message.splitlines()[0] if message else "error"
            ).text = message
        elif step.status == Status.FAIL:
            ET.SubElement(case, "failure", message=f"step {step.step} failed")
        for finding in step.findings:
            phrase = STEP_CHECK_VERIFIED.get(finding.check)
            name = f"{step.step} {finding.check}" + (f": {phrase}" if phrase else "")
            suite.append(_finding_case("pggate.pipeline", name, finding))
    return _count(suite)


def _gate_suite(gate_view: GateView) -> ET.Element:
    gate = gate_view.gate
    suite = _suite(gate.gate, gate.duration_ms)
    classname = f"pggate.{gate.gate}"
    if gate.skipped is not None:
        case = ET.SubElement(suite, "testcase", classname=classname, name=f"{gate.gate} (skipped)")
        ET.SubElement(case, "skipped", message=gate.skipped)
        return _count(suite)
    rows = {r["check"]: r for r in gate_view.check_rows()}
    for check in gate.checks:
        row = rows[check]
        name = f"{check}: {row['verified']}".rstrip(": ")
        mine = [f for f in gate.findings if f.check == check]
        if not mine:
            case = ET.SubElement(suite, "testcase", classname=classname, name=name)
            if row["status"] == "not-proven":
                ET.SubElement(case, "skipped", message=row["note"])
            continue
        for finding in mine:
            suite.append(_finding_case(classname, name, finding))
    return _count(suite)


def _finding_case(classname: str, name: str, finding: Finding) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=f"{name} ({finding.object})")
    text = finding.message + (f"\nfix: {finding.hint}" if finding.hint else "")
    for key in ("key", "leaked_key", "sample_key"):
        if finding.details.get(key) is not None:
            text += f"\nleaked key: {finding.details[key]}"
    if isinstance(finding.details.get("error"), str):
        text += "\n" + finding.details["error"]
    diff = finding.details.get("diff")
    if isinstance(diff, list) and diff:
        text += "\nobjects that differ:\n  " + "\n  ".join(str(d) for d in diff)
    if finding.severity == Severity.ERROR:
        first = finding.message.strip().splitlines()[0] if finding.message.strip() else ""
        ET.SubElement(case, "failure", message=first, type=finding.check).text = text
    else:
        ET.SubElement(case, "system-out").text = f"{finding.severity}: {text}"
    return case
