"""Prints each failed test of the TRX files given, with the first lines of its message, so that the end of a
test run's log says what failed even when only its tail is kept."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as error:
        print(f"{path}: not readable ({error})")
        continue
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        print(f"FAILED {result.get('testName')} ({path.rsplit('/', 1)[-1]})")
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
        for line in (message.strip().splitlines()[:12] + stack.strip().splitlines()[:6]):
            print(f"    {line}")
