#!/usr/bin/env python3
"""Writes the packages' debian/copyright (DEP-5) to stdout: Recolha's own
terms, then every Swift package linked statically into the binaries, read
from the resolved dependencies (`swift package show-dependencies`): its
licence (Apache-2.0 by reference to Debian's common-licenses, MIT and others
in full), its copyright lines and its NOTICE, as Apache-2.0 asks."""
import glob
import json
import os
import re
import subprocess
import sys

def indent(text):
    lines = [l.rstrip() for l in text.strip("\n").splitlines()]
    return "\n".join(" " + l if l.strip() else " ." for l in lines)

deps = json.loads(subprocess.run(["swift", "package", "show-dependencies", "--format", "json"],
                                 capture_output=True, text=True, check=True).stdout)
found = {}
def walk(node):
    for child in node.get("dependencies", []):
        found[child["name"]] = child["path"]
        walk(child)
walk(deps)

out = ["""Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: recolha
Comment: The binaries link the Swift runtime and the Swift packages below
 statically; their terms follow Recolha's own.

Files: *
Copyright: 2026 The Recolha authors
License: other
 No licence has been chosen yet: until one is, all rights are reserved by
 the authors.

Files: swift-runtime/*
Copyright: Apple Inc. and the Swift project authors
License: Apache-2.0
Comment: The Swift standard library, Foundation and their runtime, linked
 statically (Apache-2.0 with the Runtime Library Exception)."""]
apache = False
for name, path in sorted(found.items(), key=lambda kv: kv[0].lower()):
    files = sorted(glob.glob(os.path.join(path, "LICENSE*")) + glob.glob(os.path.join(path, "COPYING*")))
    if not files:
        sys.exit(f"dist-copyright: {name} has no LICENSE file at {path}")
    text = open(files[0], encoding="utf-8", errors="replace").read()
    notice_files = glob.glob(os.path.join(path, "NOTICE*"))
    notice = open(notice_files[0], encoding="utf-8", errors="replace").read() if notice_files else ""
    # "Copyright (c) 2016 Someone" lines of the licence or NOTICE (not the
    # Apache licence's own wording about copyright notices).
    holders = []
    for line in (text + "\n" + notice).splitlines():
        m = re.match(r"\s*Copyright\s*(?:\(c\)|\(C\)|©)?\s*(\d{4}.*)$", line)
        if m and m.group(1).strip() not in holders:
            holders.append(m.group(1).strip())
    stanza = [f"\nFiles: {name}/*", "Copyright: " + ("\n ".join(holders[:3]) or f"the {name} authors")]
    if "Apache License" in text and "Version 2.0" in text:
        apache = True
        stanza.append("License: Apache-2.0")
    elif "Permission is hereby granted, free of charge" in text:
        stanza.append("License: Expat\n" + indent(text))
    else:
        stanza.append("License: other\n" + indent(text))
    if notice.strip():
        stanza.append("Comment: Its NOTICE:\n" + indent(notice))
    out.append("\n".join(stanza))
if apache:
    out.append("""
License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0, is in
 /usr/share/common-licenses/Apache-2.0.""")
print("\n".join(out))
