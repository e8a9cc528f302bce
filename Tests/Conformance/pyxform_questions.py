#!/usr/bin/env python3
"""Convert an XLSForm with pyxform and print each question as
`recolha forms show --json` prints it: path, name, type, required, relevant,
constraint and choice names, read back from the XForm pyxform writes.

A second argument names a folder of the form's media (CSV, XML and
GeoJSON choice files), read here with Python's own csv, xml and json
modules: the choices of select_one_from_file come from those files, and
those of select_one_external from the itemsets.csv pyxform builds.

Exit 0 with JSON on stdout when pyxform converts the workbook; exit 3 with
pyxform's message on stderr when it refuses it.
"""
import csv
import io
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

from pyxform import xls2xform
from pyxform.errors import PyXFormError

NS = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml",
      "jr": "http://openrosa.org/javarosa", "odk": "http://www.opendatakit.org/xforms"}
JR = "{http://openrosa.org/javarosa}"
BODY_TYPES = {"select1": "select_one", "select": "select_multiple", "rank": "rank"}
INPUT_TYPES = {"int": "integer", "decimal": "decimal", "date": "date", "dateTime": "datetime",
               "geopoint": "geopoint", "string": "text"}
PRELOAD = {("timestamp", "start"): "start", ("timestamp", "end"): "end", ("date", "today"): "today",
           ("property", "deviceid"): "deviceid", ("property", "username"): "username",
           ("property", "phonenumber"): "phonenumber", ("property", "simserial"): "simserial",
           ("property", "subscriberid"): "subscriberid"}


def expression(text, names):
    """pyxform's XPath references back to XLSForm's ${name}."""
    if text is None:
        return None
    def name_of(path):
        last = path.rstrip("/").split("/")[-1]
        return "${" + last + "}" if last in names else path
    text = re.sub(r"current\(\)/(?:\.\./)+[\w.\-]+(?:/[\w.\-]+)*", lambda m: name_of(m.group(0)), text)
    text = re.sub(r"(?<![\w)\]])(?:\.\./)+[\w.\-]+(?:/[\w.\-]+)*", lambda m: name_of(m.group(0)), text)
    text = re.sub(r"(?<![\w.)\]])/[\w.\-]+(?:/[\w.\-]+)+", lambda m: name_of(m.group(0)), text)
    return " ".join(text.split())


def file_items(media, src, value_ref):
    """The choice names of a file instance (jr://file-csv/x.csv, jr://file/x.xml|.geojson)."""
    name = src.rsplit("/", 1)[-1]
    full = os.path.join(media or "", name)
    if name.endswith(".csv"):
        with open(full, encoding="utf-8-sig", newline="") as f:
            return [row[value_ref] for row in csv.DictReader(f)]
    if name.endswith(".xml"):
        return [item.findtext(value_ref) for item in ET.parse(full).getroot()]
    features = json.load(open(full, encoding="utf-8"))["features"]
    return [str(f.get("id") if value_ref == "id" and "id" in f else f["properties"][value_ref]) for f in features]


def main(path, media=None):
    try:
        result = xls2xform.convert(xlsform=path, validate=False)
    except PyXFormError as e:
        print(str(e), file=sys.stderr)
        return 3
    root = ET.fromstring(result.xform)
    model = root.find("h:head/x:model", NS)
    instances = model.findall("x:instance", NS)
    primary = next(i for i in instances if i.get("id") is None)
    data = list(primary)[0]
    binds = {b.get("nodeset"): b for b in model.findall("x:bind", NS)}
    # start-geopoint: a geopoint the device sets as the form opens.
    start_points = {el.get("ref") for el in model.iter() if el.tag.endswith("}setgeopoint")}
    controls = {}
    for el in root.find("h:body", NS).iter():
        ref = el.get("ref") or el.get("nodeset")
        # A trigger's <setvalue ref=...> sits inside its trigger's control.
        if ref and not el.tag.endswith("}setvalue"):
            controls.setdefault(ref, el)
    secondary = {i.get("id"): i for i in instances if i.get("id")}

    def local(tag):
        return tag.split("}")[-1]

    leaves = []
    def walk(el, path):
        for child in el:
            p = path + "/" + local(child.tag)
            if local(child.tag) == "meta" and path == "/" + local(data.tag):
                continue
            if len(child) and p not in binds:
                walk(child, p)
            elif len(child) and binds.get(p) is not None and controls.get(p) is not None and controls[p].tag.endswith("group"):
                walk(child, p)
            else:
                if p not in [l[0] for l in leaves]:
                    leaves.append((p, child))
    walk(data, "/" + local(data.tag))
    names = {p.split("/")[-1] for p, _ in leaves}

    questions = []
    for p, _ in leaves:
        bind = binds.get(p)
        if bind is None:
            continue
        control = controls.get(p)
        tag = control.tag.split("}")[-1] if control is not None else None
        preload = (bind.get(JR + "preload"), bind.get(JR + "preloadParams"))
        if preload in PRELOAD:
            qtype = PRELOAD[preload]
        elif control is None and p in start_points:
            qtype = "start-geopoint"
        elif bind.get("calculate") is not None and control is None:
            qtype = "calculate"
        elif control is None and bind.get("calculate") is None:
            qtype = "hidden"
        elif tag == "trigger":
            qtype = "acknowledge"
        elif tag == "upload":
            kind = (control.get("mediatype") or "").split("/")[0]
            qtype = kind if kind in ("image", "audio", "video") else "file"
        elif tag in BODY_TYPES:
            qtype = BODY_TYPES[tag]
        elif tag == "input" and bind.get("readonly") == "true()" and bind.get("type") == "string":
            qtype = "note"
        elif tag == "input":
            qtype = INPUT_TYPES.get(bind.get("type"), bind.get("type"))
        else:
            qtype = tag or bind.get("type")
        q = {"path": p, "name": p.split("/")[-1], "type": qtype,
             "required": bind.get("required"), "relevant": expression(bind.get("relevant"), names),
             "constraint": expression(bind.get("constraint"), names)}
        if tag == "input" and control.get("query"):
            # select_one_external: an input whose choices are in itemsets.csv.
            qtype = q["type"] = "select_one"
            list_id = re.match(r"instance\('([^']+)'\)", control.get("query")).group(1)
            rows = [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(io.StringIO(result.itemsets))]
            q["choices"] = [row["name"] for row in rows if row["list_name"] == list_id]
        elif qtype in ("select_one", "select_multiple", "rank"):
            itemset = control.find("x:itemset", NS)
            if itemset is not None:
                list_id = re.match(r"instance\('([^']+)'\)", itemset.get("nodeset")).group(1)
                if secondary[list_id].get("src"):
                    value_ref = itemset.find("x:value", NS).get("ref")
                    q["choices"] = file_items(media, secondary[list_id].get("src"), value_ref)
                else:
                    q["choices"] = [item.findtext("x:name", namespaces=NS) or item.findtext("name")
                                    for item in secondary[list_id].iter() if local(item.tag) == "item"]
            else:
                q["choices"] = [item.findtext("x:value", namespaces=NS) for item in control.findall("x:item", NS)]
        questions.append(q)
    print(json.dumps({"form_id": data.get("id"), "questions": questions}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
