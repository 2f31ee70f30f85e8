#!/usr/bin/env python3
"""Prints each test project's wall time and the 20 slowest tests from the TRX files `dotnet test --logger trx` wrote."""
import glob
import sys
import xml.etree.ElementTree as ET
from datetime import datetime

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def seconds(duration):
    hours, minutes, rest = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def moment(text):
    # TRX times carry 7 fraction digits and an offset; Python reads 6.
    head, _, tail = text.partition(".")
    fraction = "".join(c for c in tail if c.isdigit())[:6]
    offset = tail[len("".join(c for c in tail if c.isdigit())):]
    return datetime.fromisoformat(f"{head}.{fraction}{offset}")


projects, tests = [], []
for path in glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True):
    root = ET.parse(path).getroot()
    times = root.find("t:Times", NS)
    results = root.findall(".//t:UnitTestResult", NS)
    name = next((r.get("testName", "").split(".")[1] for r in results if "." in r.get("testName", "")), path)
    project = root.find(".//t:UnitTest/t:TestMethod", NS)
    if project is not None:
        name = project.get("codeBase", name).rsplit("/", 1)[-1].removesuffix(".dll")
    wall = (moment(times.get("finish")) - moment(times.get("start"))).total_seconds()
    projects.append((wall, name, len(results)))
    tests += [(seconds(r.get("duration", "0:0:0")), r.get("testName")) for r in results]

print("== wall time per test project")
for wall, name, count in sorted(projects, reverse=True):
    print(f"{wall:8.1f} s  {name} ({count} tests)")
print("== slowest 20 tests")
for duration, name in sorted(tests, reverse=True)[:20]:
    print(f"{duration:8.1f} s  {name}")
