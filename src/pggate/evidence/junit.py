"""``junit.xml``: the gates as tests, so CI systems show them next to unit tests.

One ``testsuite`` per gate, one ``testcase`` per check x object: a check with
findings has a case per object it flagged (errors are failures; warnings and
info pass with the message in ``system-out``); a check without findings is one
passing case. The pipeline's steps form one more suite.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..results import Finding, GateResult, Severity, Status
from .view import ReportView


def render(view: ReportView) -> str:
    """The JUnit XML document."""
    root = ET.Element("testsuites", name=f"pggate {view.env}")
    root.append(_steps_suite(view))
    for gate in view.gates():
        root.append(_gate_suite(gate.gate, gate.titles))
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
        case = ET.SubElement(
            suite,
            "testcase",
            classname="pggate.pipeline",
            name=step.step,
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
    return _count(suite)


def _gate_suite(gate: GateResult, titles: dict[str, str]) -> ET.Element:
    suite = _suite(gate.gate, gate.duration_ms)
    classname = f"pggate.{gate.gate}"
    if gate.skipped is not None:
        case = ET.SubElement(suite, "testcase", classname=classname, name=f"{gate.gate} (skipped)")
        ET.SubElement(case, "skipped", message=gate.skipped)
        return _count(suite)
    for check in gate.checks:
        mine = [f for f in gate.findings if f.check == check]
        title = titles.get(check, "")
        if not mine:
            ET.SubElement(suite, "testcase", classname=classname, name=f"{check} {title}".strip())
            continue
        for finding in mine:
            suite.append(_finding_case(classname, finding))
    return _count(suite)


def _finding_case(classname: str, finding: Finding) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=f"{finding.check} {finding.object}")
    text = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    if finding.severity == Severity.ERROR:
        ET.SubElement(case, "failure", message=finding.message, type=finding.check).text = text
    else:
        ET.SubElement(case, "system-out").text = f"{finding.severity}: {text}"
    return case
