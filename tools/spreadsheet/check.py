#!/usr/bin/env python3
"""Checks a CSV against what LibreOffice Calc made of it, cell by cell: a field that is a number in
NetSweep's CSV grammar must be a number cell equal to it; any other non-empty field a text cell with
the same text; an empty field an empty cell.

Calc's view comes either from a flat ODS file (.fods, `soffice --convert-to fods`), whose
`office:value` LibreOffice 7.4 writes with 15 significant digits — numbers are then compared at
those 15 digits, the precision the file carries — or from calc_cells.py's JSON of the cells as
Calc holds them in memory, compared exactly (the double Calc parsed must be the CSV's).

usage: check.py FILE.csv (FILE.fods | FILE.calc.json) [--text-column NAME]...
       (--text-column: a column that must be text in every row, e.g. run_id)
Exit 0 when every cell matches; 1 with the mismatches listed."""
import csv
import decimal
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def q(prefix, name):
    return "{%s}%s" % (NS[prefix], name)


def cell_text(cell):
    parts = []
    for p in cell.findall("text:p", NS):
        chunk = []

        def walk(node):
            if node.text:
                chunk.append(node.text)
            for child in node:
                if child.tag == q("text", "s"):
                    chunk.append(" " * int(child.get(q("text", "c"), "1")))
                else:
                    walk(child)
                if child.tail:
                    chunk.append(child.tail)

        walk(p)
        parts.append("".join(chunk))
    return "\n".join(parts)


def read_fods(path):
    root = ET.parse(path).getroot()
    table = root.find(".//table:table", NS)
    rows = []
    for row in table.iter(q("table", "table-row")):
        cells = []
        for cell in row:
            if cell.tag not in (q("table", "table-cell"), q("table", "covered-table-cell")):
                continue
            repeat = int(cell.get(q("table", "number-columns-repeated"), "1"))
            kind = cell.get(q("office", "value-type"))
            if kind is None:
                value = ("empty", None)
            elif kind == "string":
                value = ("string", cell_text(cell))
            elif kind in ("float", "percentage", "currency"):
                value = (kind, float(cell.get(q("office", "value"))))
            elif kind == "date":
                value = ("date", cell.get(q("office", "date-value")))
            elif kind == "time":
                value = ("time", cell.get(q("office", "time-value")))
            elif kind == "boolean":
                value = ("boolean", cell.get(q("office", "boolean-value")))
            else:
                value = (kind, cell_text(cell))
            cells.extend([value] * min(repeat, 1024))
        rows.extend([cells] * min(int(row.get(q("table", "number-rows-repeated"), "1")), 1024))
    return rows


def fifteen_digits(field, found):
    """The CSV's number as a .fods file can hold it: 15 significant digits (LibreOffice rounds the
    decimal digits it prints, half up, so either rounding of a ...5 tail is the CSV's number)."""
    candidates = {float("%.15g" % float(field))}
    number = decimal.Decimal(field)
    if number != 0:
        exponent = number.adjusted() - 14
        for rounding in (decimal.ROUND_HALF_UP, decimal.ROUND_HALF_EVEN):
            candidates.add(float(number.quantize(decimal.Decimal(1).scaleb(exponent), rounding=rounding)))
    return found if found in candidates else min(candidates)


def read_calc_json(path):
    names = {"empty": "empty", "value": "float", "text": "string"}
    with open(path) as f:
        return [[(names.get(cell[0], cell[0]), cell[1] if len(cell) > 1 else None) for cell in row] for row in json.load(f)]


def main():
    args = sys.argv[1:]
    csv_path, calc_path = args[0], args[1]
    text_columns = [args[i + 1] for i, a in enumerate(args) if a == "--text-column"]
    with open(csv_path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    exact = calc_path.endswith(".json")
    sheet = read_calc_json(calc_path) if exact else read_fods(calc_path)
    header = table[0]
    problems = []
    counts = {"float": 0, "string": 0, "empty": 0}
    for r, row in enumerate(table):
        cells = sheet[r] if r < len(sheet) else []
        for c, field in enumerate(row):
            kind, value = cells[c] if c < len(cells) else ("empty", None)
            where = "%s row %d column %d (%s)" % (csv_path.split("/")[-1], r + 1, c + 1, header[c] if c < len(header) else "?")
            if r > 0 and header[c] in text_columns and kind != "string":
                problems.append("%s: '%s' must be text, Calc made it %s %r" % (where, field, kind, value))
                continue
            if field == "":
                expected = ("empty", None)
            elif NUMBER.match(field):
                expected = ("float", float(field) if exact else fifteen_digits(field, value))
            else:
                expected = ("string", field)
            if (kind, value) != expected:
                problems.append("%s: CSV '%s' expected %s %r, Calc has %s %r" % (where, field, expected[0], expected[1], kind, value))
            else:
                counts[kind] += 1
        # Nothing beyond the CSV's fields but empty cells.
        for c in range(len(row), len(cells)):
            if cells[c][0] != "empty":
                problems.append("%s row %d: extra cell %d %r" % (csv_path, r + 1, c + 1, cells[c]))
    for extra in sheet[len(table):]:
        if any(kind != "empty" for kind, _ in extra):
            problems.append("%s: extra row %r" % (csv_path, extra))
    for p in problems[:40]:
        print("  " + p)
    status = "FAIL (%d cells differ)" % len(problems) if problems else "ok"
    print("%s in %s: %d rows; %d numbers (%s), %d text, %d empty cells as in the CSV: %s"
          % (csv_path.split("/")[-1], calc_path.split("/")[-1], len(table), counts["float"],
             "exactly" if exact else "to 15 digits", counts["string"], counts["empty"], status))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
