"""JUnit XML for CI dashboards: one test case per property."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Collection
from pathlib import Path

from contract_tests.runner import FAILED, PASSED, PropertyResult


def write_junit(
    results: list[PropertyResult], path: Path, *, client: str, skipped_fields: Collection[str] = ()
) -> None:
    """Write ``results`` as a JUnit XML report (failures carry the minimal example; the fields no
    example sent are a suite property, ``skipped_fields``)."""
    suite = ElementTree.Element(
        "testsuite",
        name="stability-mock contract",
        tests=str(len(results)),
        failures=str(sum(r.status == FAILED for r in results)),
        skipped=str(sum(r.status not in (PASSED, FAILED) for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    properties = ElementTree.SubElement(suite, "properties")
    ElementTree.SubElement(properties, "property", name="client", value=client)
    if skipped_fields:
        ElementTree.SubElement(properties, "property", name="skipped_fields", value=",".join(sorted(skipped_fields)))
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname="contract", name=result.name, time=f"{result.seconds:.3f}"
        )
        if result.status == FAILED:
            failure = ElementTree.SubElement(case, "failure", message=result.message)
            failure.text = f"{result.message}\nminimal example: {result.example}\n\n{result.doc}"
        elif result.status != PASSED:
            ElementTree.SubElement(case, "skipped", message=f"{result.status}: {result.message}")
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
