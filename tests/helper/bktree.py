#!/usr/bin/python3
# bktree.py - build and compare file trees for the opsbackup end-to-end tests
# SPDX-License-Identifier: MIT
#
#   bktree.py make DIR [--big-mb N]
#       Creates DIR (which must not exist) holding one of everything a
#       backup must bring back: empty, small, big (N MiB, default 100) and
#       sparse files (one ending in data, one in a hole); odd modes (0700,
#       0555, 02750, 01777 dirs; 0600, 0755, 04755, 0444 files); a 10-deep
#       directory chain with a path and a symlink target longer than the
#       ustar limits; symlinks (relative, dangling absolute, dangling
#       relative, to a directory); hard links (3 names in 3 dirs, a pair in
#       one dir); names with a space, newline, tab, backslash, leading dash,
#       UTF-8 Japanese and non-UTF-8 bytes; user.* xattrs on a file and a
#       dir (a warning, not an error, where the file system has none);
#       entries owned by 1234:2345 (only when run as root); and an mtime
#       with nanoseconds on every entry, one of 1700000000.123456789 and
#       one of 2100-01-01.  Modes and owners are set after the contents,
#       times last (dirs deepest first), so that nothing disturbs them.
#       Prints nothing and exits 0 on success.  Non-root users can build
#       the tree too (without the foreign owners), but cannot remove it
#       with a plain rm -rf: chmod -R u+w it first (dirs/readonly is 0555).
#
#   bktree.py compare A B [--no-owner] [--no-xattr] [--ignore-dir-mtime]
#       Walks both trees without following symlinks and compares every
#       relative path below the roots (not the roots themselves): presence,
#       type (reg/dir/symlink/other), permission bits incl. setuid, setgid
#       and sticky, uid/gid, mtime to the nanosecond (for dirs too unless
#       --ignore-dir-mtime), size and SHA-256 of regular files, symlink
#       targets, user.* xattrs, and the hard-link groups (regular files by
#       st_dev/st_ino).  Prints one line per difference,
#           PATH: what (A value vs B value)
#       with PATH escaped (\n, \t, \\, \xNN for bytes that are not UTF-8)
#       so that each stays on one line; at most 50, then a count line.
#       Exits 0 when the trees are identical, 1 when they differ, 2 on a
#       usage error or when a tree cannot be read.
#
# Holes are not compared: a restore that fills them in passes as long as
# the bytes are the same.  Tests that care look at st_blocks themselves.
import argparse
import errno
import hashlib
import os
import random
import stat
import sys

MiB = 1 << 20
OTHER_UID, OTHER_GID = 1234, 2345
NS = 10 ** 9
T_NANO = 1700000000 * NS + 123456789      # nanoseconds that must survive
T_FUTURE = 4102444800 * NS                # 2100-01-01, past 32-bit time_t
MAX_SHOWN = 50


# ---------------------------------------------------------------- make

def write_big(path, mib):
    """MiB chunks, each half PRNG bytes, half numbered text: deterministic,
    compresses to roughly half, never more than one chunk in memory."""
    rng = random.Random(20261123)
    half = MiB // 2
    lines = b"".join(b"line %06d of the big file, padding padding\n" % i
                     for i in range(half // 44 + 1))
    with open(path, "wb") as f:
        for i in range(mib):
            head = b"chunk %06d\n" % i
            f.write(head + lines[:half - len(head)])
            f.write(rng.randbytes(half))


def write_sparse(path, size, offsets):
    """SIZE bytes, holes except a 4 KiB block of data at each offset."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.ftruncate(fd, size)
        for off in offsets:
            os.pwrite(fd, (b"data at %d\n" % off).ljust(4096, b"#"), off)
    finally:
        os.close(fd)


def make(top, big_mb):
    try:
        os.mkdir(top, 0o755)
    except OSError as e:
        sys.exit("bktree.py: make: %s: %s" % (os.fsdecode(top), e.strerror))
    os.umask(0o022)
    j = lambda *p: os.path.join(top, *p)           # noqa: E731
    modes = {}      # path -> mode, applied after all contents exist
    owners = []     # paths to give OTHER_UID:OTHER_GID (root only)
    warned = []

    def mkfile(rel, data=b"", mode=None):
        with open(j(rel), "wb") as f:
            f.write(data)
        if mode is not None:
            modes[j(rel)] = mode

    def mkdir(rel, mode=None):
        os.makedirs(j(rel), exist_ok=True)
        if mode is not None:
            modes[j(rel)] = mode

    def xattr(rel, name, value):
        try:
            os.setxattr(j(rel), name, value, follow_symlinks=False)
        except OSError as e:
            if e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            if not warned:
                print("bktree.py: warning: no user xattrs here (%s), "
                      "going on without" % e.strerror, file=sys.stderr)
                warned.append(1)

    # Regular files: empty, small, big, sparse.
    mkfile(b"empty")
    mkfile(b"small.txt", b"hello\n")
    mkfile(b"text-4k.txt", b"".join(b"%03d the quick brown fox jumps\n" % i
                                    for i in range(140)))
    write_big(j(b"big.bin"), big_mb)
    write_sparse(j(b"sparse-64m"), 64 * MiB,
                 [0, 10 * MiB, 64 * MiB - 4096])
    write_sparse(j(b"sparse-tail-hole"), 16 * MiB, [0, 1 * MiB])

    # Files with odd modes.
    mkdir(b"modes")
    for name, mode in ((b"m0600", 0o600), (b"m0755", 0o755),
                       (b"m4755-setuid", 0o4755), (b"m0444", 0o444)):
        mkfile(b"modes/" + name, b"#!/bin/sh\necho %s\n" % name, mode)

    # Directories with odd modes, filled before their mode is set.
    mkdir(b"dirs/private", 0o700)
    mkfile(b"dirs/private/secret.txt", b"secret\n", 0o600)
    mkdir(b"dirs/readonly", 0o555)
    mkfile(b"dirs/readonly/inside.txt", b"inside a 0555 dir\n")
    mkdir(b"dirs/setgid", 0o2750)
    mkfile(b"dirs/setgid/group.txt", b"group file\n", 0o640)
    mkdir(b"dirs/sticky", 0o1777)
    mkfile(b"dirs/sticky/shared.txt", b"shared\n", 0o666)
    mkdir(b"dirs/empty")

    # A 10-deep chain: the path and a symlink target pass 100 and 256
    # bytes, so the archive needs pax path/linkpath records.
    deep = b"deep/" + b"/".join(b"d%02d-a-fairly-long-directory-name" % i
                                for i in range(1, 11))
    mkdir(deep)
    mkfile(deep + b"/leaf.txt", b"ten levels down\n")
    mkfile(deep + b"/" + b"long-name-" + b"x" * 200 + b".txt", b"long\n")

    # Symlinks.
    mkdir(b"links")
    os.symlink(b"../small.txt", j(b"links/rel-file"))
    os.symlink(b"/nonexistent/opsbackup-bktree/target", j(b"links/abs-dangling"))
    os.symlink(b"no-such-file", j(b"links/dangling-rel"))
    os.symlink(b"../dirs/setgid", j(b"links/to-dir"))
    os.symlink(b"../" + deep + b"/leaf.txt", j(b"links/long-target"))

    # Hard links: three names in three dirs, and a pair in one dir.
    mkdir(b"hard/a")
    mkdir(b"hard/b")
    mkfile(b"hard/a/one", b"one inode, three names\n", 0o640)
    os.link(j(b"hard/a/one"), j(b"hard/b/two"))
    os.link(j(b"hard/a/one"), j(b"hard/three"))
    mkdir(b"hard/pair")
    mkfile(b"hard/pair/x", b"a pair\n")
    os.link(j(b"hard/pair/x"), j(b"hard/pair/y"))

    # Awkward names; the last two are not valid UTF-8.
    mkdir(b"names")
    for name in (b"with space.txt", b"new\nline.txt", b"tab\there.txt",
                 b"back\\slash.txt", b"-leading-dash.txt",
                 "日本語.txt".encode(), b"bad\xff\xfe.txt"):
        mkfile(b"names/" + name, b"name: " + name + b"\n")
    mkdir("names/日本語のディレクトリ".encode())
    mkdir(b"names/dir\xe9")
    mkfile(b"names/dir\xe9/f", b"in a latin-1 named dir\n")

    # Extended attributes (user namespace) on a file and a directory.
    mkdir(b"xattr/dir")
    mkfile(b"xattr/file.txt", b"has xattrs\n")
    xattr(b"xattr/file.txt", "user.comment", b"hello")
    xattr(b"xattr/file.txt", "user.bin", b"\x00\x01\xff")
    xattr(b"xattr/dir", "user.comment", b"a directory")

    # Foreign owners, only root can hand files away.
    mkdir(b"owned/dir")
    mkfile(b"owned/file.txt", b"owned by 1234\n", 0o4750)
    os.symlink(b"file.txt", j(b"owned/link"))
    owners += [j(b"owned/dir"), j(b"owned/file.txt"), j(b"owned/link")]

    mkdir(b"times")
    mkfile(b"times/nanos.txt", b"1700000000.123456789\n")
    mkfile(b"times/future.txt", b"2100-01-01\n")

    # Owners before modes: chown(2) clears setuid/setgid on files.
    if os.geteuid() == 0:
        for p in owners:
            os.chown(p, OTHER_UID, OTHER_GID, follow_symlinks=False)
    for p in sorted(modes, key=lambda p: -p.count(b"/")):
        os.chmod(p, modes[p])

    # Times last: non-dirs, then dirs deepest first, so that creating an
    # entry does not bump its parent's mtime afterwards.  Every entry gets
    # its own time with nanoseconds; hard links share one inode, one time.
    special = {j(b"times/nanos.txt"): T_NANO, j(b"times/future.txt"): T_FUTURE}
    entries, dirs = [], [top]
    for dirpath, dirnames, filenames in os.walk(top):
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            (dirs if stat.S_ISDIR(os.lstat(p).st_mode) else entries).append(p)
    done = set()
    t = 1600000000 * NS + 1
    for p in sorted(entries) + sorted(dirs, key=lambda p: -p.count(b"/")):
        st = os.lstat(p)
        t += 3600 * NS + 111111111
        if (st.st_dev, st.st_ino) in done:
            continue
        done.add((st.st_dev, st.st_ino))
        ns = special.get(p, t)
        os.utime(p, ns=(ns, ns), follow_symlinks=False)


# ------------------------------------------------------------- compare

def esc(b):
    """A path or link target as text on one line: UTF-8 shown as is,
    control characters and backslash escaped, other bytes as \\xNN."""
    out = []
    for c in b.decode("utf-8", "surrogateescape"):
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t"}.get(c, "\\x%02x" % o))
        else:
            out.append(c)
    return "".join(out)


def kind(st):
    m = st.st_mode
    if stat.S_ISREG(m):
        return "reg"
    if stat.S_ISDIR(m):
        return "dir"
    if stat.S_ISLNK(m):
        return "symlink"
    return "other"


def scan(root):
    """{relative path: (full path, lstat)} for everything below root."""
    def fail(e):
        raise e
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, root)] = (p, os.lstat(p))
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def xattrs(path, is_link):
    """{name: value} of the user.* attributes; {} where unsupported."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
        return {n: os.getxattr(path, n, follow_symlinks=False)
                for n in names if n.startswith("user.")}
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP) or is_link:
            return {}
        raise


def xval(v):
    return "missing" if v is None else repr(v)


def tstr(ns):
    return "%d.%09d" % divmod(ns, NS)


def link_groups(tree):
    """{path: frozenset of the names of its inode} for multi-link files."""
    by_inode = {}
    for rel, (_, st) in tree.items():
        if stat.S_ISREG(st.st_mode):
            by_inode.setdefault((st.st_dev, st.st_ino), set()).add(rel)
    return {rel: frozenset(g) for g in by_inode.values() if len(g) > 1
            for rel in g}


def compare(a, b, opt):
    ta, tb = scan(a), scan(b)
    diffs = []

    def diff(rel, what, va, vb):
        diffs.append("%s: %s (%s vs %s)" % (esc(rel), what, va, vb))

    for rel in sorted(set(ta) | set(tb)):
        if rel not in tb or rel not in ta:
            st = (ta.get(rel) or tb.get(rel))[1]
            diff(rel, "presence", kind(st) if rel in ta else "missing",
                 kind(st) if rel in tb else "missing")
            continue
        (pa, sa), (pb, sb) = ta[rel], tb[rel]
        k = kind(sa)
        if k != kind(sb):
            diff(rel, "type", k, kind(sb))
            continue
        if stat.S_IMODE(sa.st_mode) != stat.S_IMODE(sb.st_mode):
            diff(rel, "mode", "%04o" % stat.S_IMODE(sa.st_mode),
                 "%04o" % stat.S_IMODE(sb.st_mode))
        if not opt.no_owner and (sa.st_uid, sa.st_gid) != (sb.st_uid, sb.st_gid):
            diff(rel, "owner", "%d:%d" % (sa.st_uid, sa.st_gid),
                 "%d:%d" % (sb.st_uid, sb.st_gid))
        if sa.st_mtime_ns != sb.st_mtime_ns and \
                not (k == "dir" and opt.ignore_dir_mtime):
            diff(rel, "mtime", tstr(sa.st_mtime_ns), tstr(sb.st_mtime_ns))
        if k == "reg":
            if sa.st_size != sb.st_size:
                diff(rel, "size", sa.st_size, sb.st_size)
            else:
                ha, hb = sha256(pa), sha256(pb)
                if ha != hb:
                    diff(rel, "content sha256", ha[:16], hb[:16])
        elif k == "symlink":
            la, lb = os.readlink(pa), os.readlink(pb)
            if la != lb:
                diff(rel, "symlink target", esc(la), esc(lb))
        elif k == "other" and sa.st_rdev != sb.st_rdev:
            diff(rel, "rdev", sa.st_rdev, sb.st_rdev)
        if not opt.no_xattr:
            xa, xb = xattrs(pa, k == "symlink"), xattrs(pb, k == "symlink")
            for n in sorted(set(xa) | set(xb)):
                if xa.get(n) != xb.get(n):
                    diff(rel, "xattr " + n, xval(xa.get(n)), xval(xb.get(n)))

    # Hard links: each name's group must be the same set of names in both
    # trees; a broken or new link is shown once, at its first name.
    ga, gb = link_groups(ta), link_groups(tb)
    shown = set()
    for rel in sorted(set(ga) | set(gb)):
        xa = ga.get(rel, frozenset([rel]))
        xb = gb.get(rel, frozenset([rel]))
        if xa != xb and (xa, xb) not in shown:
            shown.add((xa, xb))
            diff(rel, "hard links", "{%s}" % ", ".join(esc(p) for p in sorted(xa)),
                 "{%s}" % ", ".join(esc(p) for p in sorted(xb)))

    for line in diffs[:MAX_SHOWN]:
        print(line)
    if diffs:
        print("%d difference%s%s" % (len(diffs), "" if len(diffs) == 1 else "s",
                                     ", first %d shown" % MAX_SHOWN
                                     if len(diffs) > MAX_SHOWN else ""))
    return 1 if diffs else 0


def main():
    ap = argparse.ArgumentParser(prog="bktree.py",
                                 description="make or compare test trees")
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make", help="create a test tree in DIR")
    m.add_argument("dir")
    m.add_argument("--big-mb", type=int, default=100, metavar="N")
    c = sub.add_parser("compare", help="compare trees A and B")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--no-owner", action="store_true")
    c.add_argument("--no-xattr", action="store_true")
    c.add_argument("--ignore-dir-mtime", action="store_true")
    opt = ap.parse_args()
    if opt.cmd == "make":
        if opt.big_mb < 0:
            ap.error("--big-mb must be 0 or more")
        make(os.fsencode(opt.dir), opt.big_mb)
        return 0
    a, b = os.fsencode(opt.a), os.fsencode(opt.b)
    for d in (a, b):
        if not os.path.isdir(d):
            print("bktree.py: compare: %s: not a directory" % esc(d),
                  file=sys.stderr)
            return 2
    try:
        return compare(a, b, opt)
    except OSError as e:
        print("bktree.py: compare: %s: %s"
              % (esc(os.fsencode(e.filename or "")), e.strerror), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
