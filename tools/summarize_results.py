"""Print one closing line for the whole suite from the JUnit XML of every run.

python tools/summarize_results.py .tox/results
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(directory: str) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    reports = sorted(Path(directory).glob("*.xml"))
    for report in reports:
        root = ET.parse(report).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        counts = {key: sum(int(s.get(key, 0)) for s in suites) for key in totals}
        for key, value in counts.items():
            totals[key] += value
        print(
            f"  {report.stem}: {counts['tests']} tests, "
            f"{counts['failures'] + counts['errors']} failed, {counts['skipped']} skipped"
        )
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    print(f"{passed} passed, {failed} failed, {totals['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
