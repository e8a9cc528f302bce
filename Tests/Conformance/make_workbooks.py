#!/usr/bin/env python3
"""Writes the hand-made conformance workbooks and the flagship .xlsx.

Run with openpyxl installed: python3 Tests/Conformance/make_workbooks.py
The outputs are committed; tests only read them.
"""
import csv
import hashlib
import io
import json
import os
from openpyxl import Workbook

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def book(path, sheets):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


def embed_media(json_path, media_dir):
    """Writes the CSV choice files of media_dir into the JSON definition, as
    `recolha-server forms publish --media` does: their rows at the end of
    choices under the file's name as list, and each file's name, SHA-256 and
    size under files. The JSON then loads alone, the same form as the
    workbook with its media (ConformanceTests checks it)."""
    d = json.load(open(json_path))
    names = sorted(f for f in os.listdir(media_dir) if f.endswith(".csv"))
    d["choices"] = [r for r in d["choices"] if r.get("list_name") not in names]
    d["files"] = []
    for name in names:
        data = open(os.path.join(media_dir, name), "rb").read()
        for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
            d["choices"].append(dict({"list_name": name}, **{k: v for k, v in row.items() if k and k != "list_name"}))
        d["files"].append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    open(json_path, "w").write(json.dumps(d, indent=1, ensure_ascii=False) + "\n")


def from_json(json_path, xlsx_path):
    """The JSON form definition as a workbook, columns in a stable order;
    rows of the files published with it stay in those files."""
    d = json.load(open(json_path))
    files = {f["name"] for f in d.get("files", [])}
    sheets = []
    for name in ("survey", "choices", "settings"):
        rows = d[name] if isinstance(d[name], list) else [d[name]]
        rows = [r for r in rows if r.get("list_name") not in files]
        cols = []
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        sheets.append((name, [cols] + [[r.get(c) for c in cols] for r in rows]))
    book(xlsx_path, sheets)


W = os.path.join(HERE, "workbooks", "recolha")
os.makedirs(W, exist_ok=True)

# Nested repeats, calculations across them, constraints with messages.
book(os.path.join(W, "nested_repeats.xlsx"), [
    ("survey", [
        ["type", "name", "label", "required", "constraint", "constraint_message", "calculation", "relevant"],
        ["begin_repeat", "household", "Household", None, None, None, None, None],
        ["text", "head", "Head of household", "yes", None, None, None, None],
        ["integer", "members", "Members", "yes", ". > 0 and . < 40", "1 to 39", None, None],
        ["begin_repeat", "member", "Member", None, None, None, None, None],
        ["integer", "age", "Age", "yes", ". >= 0 and . <= 120", "0 to 120", None, None],
        ["select_one yn", "pregnant", "Pregnant?", None, None, None, None, "${age} >= 12"],
        ["end_repeat", None, None, None, None, None, None, None],
        ["calculate", "member_count", None, None, None, None, "count(${member})", None],
        ["end_repeat", None, None, None, None, None, None, None],
        ["calculate", "households", None, None, None, None, "count(${household})", None],
        ["note", "done", "Thank you", None, None, None, None, None],
    ]),
    ("choices", [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]),
    ("settings", [["form_id", "version"], ["nested_repeats", "3"]]),
])

# Three languages, hints, required messages, a default language.
book(os.path.join(W, "languages.xlsx"), [
    ("survey", [
        ["type", "name", "label::English (en)", "label::Português (pt)", "label::Kiswahili (sw)", "hint::English (en)",
         "required", "required_message::English (en)"],
        ["select_multiple langs", "spoken", "Languages spoken", "Línguas faladas", "Lugha zinazozungumzwa", "All that apply",
         "true", "Pick at least one"],
        ["date", "visit", "Visit date", "Data da visita", "Tarehe ya ziara", None, "TRUE()", None],
        ["geopoint", "where", "Where", "Onde", "Wapi", None, "no", None],
    ]),
    ("choices", [["list_name", "name", "label::English (en)", "label::Português (pt)", "label::Kiswahili (sw)"],
                 ["langs", "pt", "Portuguese", "Português", "Kireno"], ["langs", "sw", "Swahili", "Suaíli", "Kiswahili"],
                 ["langs", "en", "English", "Inglês", "Kiingereza"]]),
    ("settings", [["form_id", "version", "default_language"], ["languages", "2026.1", "English (en)"]]),
])

# The spellings people really use: `begin group`, `select one x`, `yes`/`TRUE()`,
# plain `label`, blank rows, trailing spaces, columns in any order, unknown
# columns, `or_other`, `relevance`, metadata.
book(os.path.join(W, "spellings.xlsx"), [
    ("survey", [
        ["Name ", "Label", "Type", "Relevance", "Required", "Constraint Message", "Constraint", "my_notes", "Appearance"],
        ["start", None, "start", None, None, None, None, None, None],
        ["today", None, "today", None, None, None, None, None, None],
        ["deviceid", None, "deviceid", None, None, None, None, None, None],
        ["grp", "A group", "begin group", None, None, None, None, "reviewed", "field-list"],
        ["fruit ", "Fruit", "select one fruits ", None, "yes", None, None, "x", None],
        ["fruits_many", "Fruits", "select all that apply fruits", None, "TRUE()", None, None, None, None],
        [None, None, None, None, None, None, None, None, None],
        ["how_many", "How many", "integer", "selected(${fruit}, 'apple')", "no", "Under 100", ". < 100", None, None],
        ["end grp", None, "end group", None, None, None, None, None, None],
        ["color", "Colour", "select_one colors or_other", None, None, None, None, None, None],
        ["weight", "Weight (kg)", "decimal", None, None, None, ". > 0", None, None],
        ["seen", "Seen at", "dateTime", None, None, None, None, None, None],
        ["end", None, "end", None, None, None, None, None, None],
    ]),
    ("choices", [["List Name", "Name", "Label"], ["fruits", "apple", "Apple"], ["fruits", "mango ", "Mango"],
                 ["colors", "red", "Red"], ["colors", "blue", "Blue"]]),
    ("settings", [["form_title", "form_id"], ["Spellings", "spellings"]]),
])

# Cascading selects over three levels.
book(os.path.join(W, "cascading.xlsx"), [
    ("survey", [
        ["type", "name", "label", "choice_filter", "required"],
        ["select_one province", "province", "Province", None, "yes"],
        ["select_one district", "district", "District", "province=${province}", "yes"],
        ["select_one facility", "facility", "Facility", "district=${district} and province=${province}", "yes"],
    ]),
    ("choices", [["list_name", "name", "label", "province", "district"],
                 ["province", "tete", "Tete", None, None], ["province", "manica", "Manica", None, None],
                 ["district", "moatize", "Moatize", "tete", None], ["district", "manica", "Manica", "manica", None],
                 ["facility", "zobue", "Zóbuè", "tete", "moatize"], ["facility", "machipanda", "Machipanda", "manica", "manica"]]),
    ("settings", [["form_id"], ["cascading"]]),
])

# Every question type a terminal can fill beyond the basics, a name
# starting with _, and an expression typed with Excel's curly quotes.
book(os.path.join(W, "types.xlsx"), [
    ("survey", [
        ["type", "name", "label", "parameters", "default", "constraint", "required", "calculation", "trigger"],
        ["time", "opens_at", "Opening time", None, None, None, "yes"],
        ["barcode", "batch", "Vaccine batch code", None, None, None, None],
        ["acknowledge", "agreed", "I read the consent text", None, None, None, "yes"],
        ["range", "satisfaction", "Satisfaction", "start=0 end=10 step=2", None, None, None],
        ["range", "ph", "Water pH", "start=0.5 end=14 step=0.5", None, None, None],
        ["hidden", "survey_round", None, None, "2026-R2", None, None],
        ["geotrace", "road", "Road to the facility", None, None, None, None],
        ["geoshape", "compound", "Facility compound", None, None, None, None],
        ["phonenumber", "phone_meta", None, None, None, None, None],
        ["simserial", "sim", None, None, None, None, None],
        ["subscriberid", "subscriber", None, None, None, None, None],
        ["phone number", "contact", "Contact number", None, None, None, None],
        ["text", "_1", "A name starting with _", None, None, ". != \u2018other\u2019", None],
        ["text", "remarks", "Remarks", None, None, "string-length(.) < 200 and . != \u201cnone\u201d", None],
        ["integer", "rooms", "Rooms", None, "${satisfaction} + 1", None, None],
        ["decimal", "fridge_temp", "Fridge temperature", None, None, None, None],
        ["datetime", "fridge_read_at", "Read at", None, None, None, None, "now()", "${fridge_temp}"],
        ["start-geopoint", "where_started", None, None, None, None, None],
    ]),
    ("settings", [["form_id", "version"], ["types", "1"]]),
])

book(os.path.join(W, "media.xlsx"), [
    ("survey", [
        ["type", "name", "label", "parameters", "required"],
        ["image", "entrance", "Photo of the entrance", "max-pixels=1024", None],
        ["photo", "sign", "Photo of the sign", None, None],
        ["audio", "interview", "Recorded interview", None, None],
        ["video", "walkthrough", "Video of the walk-through", None, None],
        ["file", "register", "Scan of the register", None, "yes"],
        ["add image prompt", "extra", "Another photo", None, None],
    ]),
    ("settings", [["form_id", "version", "recolha_max_file_mb"], ["media", "1", "5"]]),
])

# Choices from elsewhere: a ranking, the external_choices sheet, and CSV,
# XML and GeoJSON files (choice_sources-media/) with value/label parameters.
book(os.path.join(W, "choice_sources.xlsx"), [
    ("survey", [
        ["type", "name", "label", "choice_filter", "parameters", "calculation"],
        ["rank services", "priorities", "Rank the services by need", None, None, None],
        ["select_one province", "province", "Province", None, None, None],
        ["select_one_external district", "district", "District", "province=${province}", None, None],
        ["select_one_from_file facilities.csv", "facility", "Facility", "district=${district}", None, None],
        ["select_multiple_from_file wards.xml", "wards", "Wards served", None, None, None],
        ["select_one_from_file sites.geojson", "site", "Border post", None, None, None],
        ["select_one_from_file partners.csv", "partner", "Partner", None, "value=code label=title", None],
        ["calculate", "facility_district", None, None, None, "instance('facilities')/root/item[name = ${facility}]/district"],
    ]),
    ("choices", [["list_name", "name", "label"],
                 ["services", "maternal", "Maternal health"], ["services", "tb", "Tuberculosis"], ["services", "hiv", "HIV"],
                 ["province", "tete", "Tete"], ["province", "manica", "Manica"]]),
    ("external_choices", [["list_name", "name", "label", "province"],
                          ["district", "moatize", "Moatize", "tete"], ["district", "changara", "Changara", "tete"],
                          ["district", "manica", "Manica", "manica"]]),
    ("settings", [["form_id", "version"], ["choice_sources", "1"]]),
])
# pyxform refuses these: Recolha must too, naming the row.
book(os.path.join(W, "refused_unknown_list.xlsx"), [
    ("survey", [["type", "name", "label"], ["text", "a", "A"], ["select_one nowhere", "b", "B"]]),
    ("choices", [["list_name", "name", "label"], ["yn", "yes", "Yes"]]),
])
book(os.path.join(W, "refused_unclosed_group.xlsx"), [
    ("survey", [["type", "name", "label"], ["begin_group", "g", "G"], ["text", "a", "A"]]),
])
book(os.path.join(W, "refused_duplicate_name.xlsx"), [
    ("survey", [["type", "name", "label"], ["text", "a", "A"], ["integer", "a", "Again"]]),
])

embed_media(os.path.join(ROOT, "schema", "forms", "health_facility_assessment.json"),
            os.path.join(ROOT, "schema", "forms", "health_facility_assessment-media"))
from_json(os.path.join(ROOT, "schema", "forms", "health_facility_assessment.json"),
          os.path.join(ROOT, "schema", "forms", "health_facility_assessment.xlsx"))
print("written")

M = os.path.join(HERE, "workbooks", "malformed")
os.makedirs(M, exist_ok=True)
book(os.path.join(M, "no_survey_sheet.xlsx"), [
    ("choices", [["list_name", "name", "label"], ["yn", "yes", "Yes"]]),
    ("settings", [["form_id"], ["no_survey"]]),
])
rows = [["type", "name", "label", "constraint"]] + [["integer", f"q{i}", f"Question {i}", ". >= 0"] for i in range(2, 40)]
rows.append(["integer", "q40", "Question 40", ". >= and 3"])
book(os.path.join(M, "bad_expression_row40.xlsx"), [("survey", rows), ("settings", [["form_id"], ["bad40"]])])
print("malformed written")
