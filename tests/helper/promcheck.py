#!/usr/bin/python3
# promcheck.py - check a Prometheus text exposition file (format 0.0.4)
# SPDX-License-Identifier: MIT
#
# Usage: promcheck.py FILE.  Prints "ok N samples" or the first error, and
# exits 1 on error.  Checks HELP/TYPE lines, metric and label names, label
# value escapes, float values, and that every sample follows its TYPE.
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(%s)(,%s)*\})? (\S+)( -?[0-9]+)?$" % (NAME, LABEL, LABEL))


def main():
    typed = {}
    n = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                parts = line.split(" ", 3)
                if len(parts) < 4 or not re.fullmatch(NAME, parts[2]):
                    sys.exit("line %d: bad %s" % (i, parts[1]))
                if parts[1] == "TYPE":
                    if parts[3] not in ("counter", "gauge", "histogram",
                                        "summary", "untyped"):
                        sys.exit("line %d: bad type" % i)
                    typed[parts[2]] = parts[3]
                continue
            if line.startswith("#") or line == "":
                continue
            m = SAMPLE.match(line)
            if not m:
                sys.exit("line %d: not a sample: %s" % (i, line))
            if m.group(1) not in typed:
                sys.exit("line %d: sample before its TYPE" % i)
            v = m.group(5)
            if v not in ("NaN", "+Inf", "-Inf"):
                float(v)
            n += 1
    print("ok %d samples" % n)


main()
