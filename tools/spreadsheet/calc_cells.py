#!/usr/bin/python3
"""Opens CSV files in LibreOffice Calc (headless, through UNO) as a user's double-click would with
the given import options, and writes what Calc holds in every cell as JSON: ["empty"],
["value", <the double, exactly>], ["text", "<string>"] (or ["formula", ...]). Run with Debian's
python3 (the one python3-uno installs into).

usage: calc_cells.py OPTIONS OUT_DIR FILE.csv...   (OPTIONS: Calc's CSV FilterOptions string)"""
import json
import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    options, out_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    profile = tempfile.mkdtemp(prefix="netsweep-calc-")
    pipe = "netsweep_%d" % os.getpid()
    office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo",
                               "-env:UserInstallation=file://" + profile,
                               "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        context = None
        for _ in range(120):
            try:
                context = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except NoConnectException:
                time.sleep(0.5)
        if context is None:
            print("calc_cells.py: LibreOffice did not start", file=sys.stderr)
            return 2
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        type_names = {"EMPTY": "empty", "VALUE": "value", "TEXT": "text", "FORMULA": "formula"}
        for path in files:
            url = uno.systemPathToFileUrl(os.path.abspath(path))
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (
                prop("FilterName", "Text - txt - csv (StarCalc)"), prop("FilterOptions", options), prop("Hidden", True)))
            sheet = doc.Sheets.getByIndex(0)
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            end = cursor.getRangeAddress()
            rows = []
            for r in range(end.EndRow + 1):
                row = []
                for c in range(end.EndColumn + 1):
                    cell = sheet.getCellByPosition(c, r)
                    kind = type_names.get(cell.getType().value, cell.getType().value)
                    if kind == "empty":
                        row.append(["empty"])
                    elif kind == "value":
                        row.append(["value", cell.getValue()])
                    else:
                        row.append([kind, cell.getString()])
                rows.append(row)
            doc.close(True)
            name = os.path.join(out_dir, os.path.basename(path)[:-4] + ".calc.json")
            with open(name, "w") as f:
                json.dump(rows, f)
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        office.terminate()
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
