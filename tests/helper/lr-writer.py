#!/usr/bin/python3
# lr-writer.py - a log writer for the no-loss tests of opslog-rotate
# SPDX-License-Identifier: MIT
#
#   lr-writer.py write LOG PIDFILE
#       Appends "1\n", "2\n", ... to LOG (O_APPEND, one write(2) per line)
#       as fast as it can.  Writes its pid to PIDFILE once LOG is open;
#       reopens LOG on SIGHUP (as daemons do after a rename); stops on
#       SIGTERM and prints the last number written.
#   lr-writer.py check LAST FILE...
#       Reads the files (gzip, bzip2, xz and zstd found by magic number),
#       and prints "total=LAST missing=N dup=N partial=N garbled=N": numbers
#       1..LAST never seen, seen more than once, lines cut short (a file not
#       ending in a newline), and lines that are not a number in range.
#       Exits 0 when nothing is missing, doubled or damaged, 1 otherwise.
import bz2
import gzip
import lzma
import os
import signal
import subprocess
import sys


def write(log, pidfile):
    flags = {"hup": False, "stop": False}

    def on_hup(_sig, _frame):
        flags["hup"] = True

    def on_term(_sig, _frame):
        flags["stop"] = True

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_term)
    mode = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    fd = os.open(log, mode, 0o644)
    tmp = pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, pidfile)
    n = 0
    wr = os.write
    while not flags["stop"]:
        if flags["hup"]:
            flags["hup"] = False
            os.close(fd)
            fd = os.open(log, mode, 0o644)
        # a short burst between two looks at the flags
        for _ in range(64):
            n += 1
            wr(fd, b"%d\n" % n)
    os.close(fd)
    print(n)
    return 0


def read(path):
    with open(path, "rb") as f:
        head = f.read(6)
    if head.startswith(b"\x1f\x8b"):
        return gzip.open(path).read()
    if head.startswith(b"BZh"):
        return bz2.open(path).read()
    if head == b"\xfd7zXZ\x00":
        return lzma.open(path).read()
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return subprocess.run(["zstd", "-dcq", path], check=True,
                              stdout=subprocess.PIPE).stdout
    with open(path, "rb") as f:
        return f.read()


def check(last, files):
    seen = bytearray(last + 1)
    dup = partial = garbled = 0
    for path in files:
        data = read(path)
        lines = data.split(b"\n")
        if lines[-1] != b"":
            partial += 1
        for line in lines[:-1]:
            try:
                v = int(line)
            except ValueError:
                garbled += 1
                continue
            if v < 1 or v > last:
                garbled += 1
            elif seen[v]:
                dup += 1
            else:
                seen[v] = 1
    missing = last - sum(seen)
    print("total=%d missing=%d dup=%d partial=%d garbled=%d"
          % (last, missing, dup, partial, garbled))
    return 0 if missing == dup == partial == garbled == 0 else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        return write(sys.argv[2], sys.argv[3])
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        return check(int(sys.argv[2]), sys.argv[3:])
    sys.stderr.write("usage: lr-writer.py write LOG PIDFILE | check LAST FILE...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
