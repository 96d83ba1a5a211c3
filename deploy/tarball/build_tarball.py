#!/usr/bin/env python3
"""Builds ecssd-<version>-linux-x86_64.tar.gz: ecssd for any x86-64 glibc
Linux (Amazon Linux 2023, the ECS-optimized AMI, included), whatever its
glibc, with the binary's libraries and loader (deploy/bundle.py, as in the
Lambda zip):

    ecssd-<version>-linux-x86_64/
      bin/ecssd                 launcher: runs libexec/ecssd/ecssd through its own loader
      libexec/ecssd/ecssd       the binary, stripped
      libexec/ecssd/lib/        ld-linux-x86-64.so.2, libc.so.6, libssl.so.3, ...
      share/man/man1/ecssd.1    ecssd(1)
      share/ecssd/              systemd units, commented ecssd.env and reap.env,
                                IAM policies, the CloudFormation template
      share/doc/ecssd/          README, the copyright of every bundled library
      install.sh                installs it (default /opt/ecssd) with /usr/local/bin/ecssd,
                                the units, /etc/default/ecssd and the man page

    build_tarball.py --binary build/ecssd --version 0.1.0 --source-dir . \\
        --man-dir build/man --output build/dist/ecssd-0.1.0-linux-x86_64.tar.gz
"""
import argparse
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bundle import LAUNCH_CA_BUNDLE, LOADER, bundle_files  # noqa: E402 (deploy/bundle.py)

LAUNCHER = """#!/bin/sh
# ecssd launcher (deploy/tarball/build_tarball.py): the binary and its
# libraries come from Debian 12 and run with their own loader and glibc from
# libexec/ecssd/lib, never the system's. May be reached through a symlink.
self=$(PATH="${PATH:-/usr/bin:/bin}" readlink -f "$0")
root="${self%%/bin/*}/libexec/ecssd"
%sexec "$root/lib/%s" --library-path "$root/lib" --argv0 "$0" "$root/ecssd" "$@"
""" % (LAUNCH_CA_BUNDLE, LOADER)

README = """ecssd %(version)s for x86-64 Linux (any glibc distribution)

Run it in place:   ./bin/ecssd version
Install it:        sudo ./install.sh            (into /opt/ecssd; --prefix DIR for another place)

install.sh links /usr/local/bin/ecssd, installs the systemd units
(ecssd-agent.service, ecssd-reap.service, ecssd-reap.timer) into
/etc/systemd/system, /etc/default/ecssd and /etc/ecssd/reap.env (every
setting commented; kept if present) and the man page, ecssd(1). Then:

    systemctl enable --now ecssd-agent

The binary was built on Debian 12; libexec/ecssd/lib holds every library it
uses, glibc and its loader included, so the system's are never used.
share/doc/ecssd/third-party holds their copyright files (gzip).
"""


class Symlink(str):
    """An entry that is a symbolic link to this target."""


def add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mode = 0o777
    info.mtime = 0
    info.uname = info.gname = "root"
    tar.addfile(info)


def add_bytes(tar, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def add_file(tar, path, name, mode):
    with open(path, "rb") as f:
        add_bytes(tar, name, f.read(), mode)


def add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = 0
    info.uname = info.gname = "root"
    tar.addfile(info)


def library_copyrights(files):
    """{debian package: its copyright file} for the libraries of the bundle."""
    out = {}
    for path, name, _ in files:
        if not name.startswith("lib/"):
            continue
        r = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True)
        if r.returncode != 0:
            # /lib/... is /usr/lib/... on a merged-/usr system: dpkg knows one of them.
            alt = path[len("/usr"):] if path.startswith("/usr/") else "/usr" + path
            r = subprocess.run(["dpkg-query", "-S", alt], capture_output=True, text=True)
        if r.returncode != 0:
            continue
        package = r.stdout.split(":", 1)[0].strip()
        copyright_file = "/usr/share/doc/%s/copyright" % package
        if os.path.exists(copyright_file):
            out[package] = copyright_file
    return out


def bundle_entries(args, tmp):
    """[(name inside the top folder, source path or bytes, mode)] of the tarball."""
    files = bundle_files(args.binary, tmp)
    entries = [("bin/ecssd", LAUNCHER.encode(), 0o755)]
    for path, name, mode in files:
        entries.append(("libexec/ecssd/" + name, path, mode))
    entries.append(("share/man/man1/ecssd.1", os.path.join(args.man_dir, "ecssd.1"), 0o644))
    share = os.path.join(args.source_dir, "deploy")
    for unit in ("ecssd-agent.service", "ecssd-reap.service", "ecssd-reap.timer"):
        entries.append(("share/ecssd/systemd/" + unit, os.path.join(share, "systemd", unit), 0o644))
    entries.append(("share/ecssd/ecssd.env", os.path.join(args.man_dir, "ecssd.env"), 0o644))
    entries.append(("share/ecssd/reap.env", os.path.join(args.man_dir, "reap.env"), 0o644))
    for policy in ("agent-policy.json", "reaper-policy.json"):
        entries.append(("share/ecssd/iam/" + policy, os.path.join(share, "iam", policy), 0o644))
    entries.append(("share/ecssd/cloudformation/ecssd.yaml",
                    os.path.join(share, "cloudformation", "ecssd.yaml"), 0o644))
    entries.append(("share/doc/ecssd/README", (README % {"version": args.version}).encode(), 0o644))
    # Compressed, and once per distinct text (Boost's libraries share one of 2 MB).
    seen = {}
    for package, path in sorted(library_copyrights(files).items()):
        with open(path, "rb") as f:
            text = f.read()
        name = "share/doc/ecssd/third-party/%s/copyright.gz" % package
        digest = hashlib.sha256(text).hexdigest()
        if digest in seen:
            entries.append((name, Symlink("../%s/copyright.gz" % seen[digest]), 0o777))
            continue
        seen[digest] = package
        entries.append((name, gzip.compress(text, compresslevel=9, mtime=0), 0o644))
    entries.append(("install.sh", os.path.join(HERE, "install.sh"), 0o755))
    return entries


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--man-dir", required=True, help="the folder of ecssd.1, ecssd.env and reap.env")
    p.add_argument("--output", required=True)
    args = p.parse_args()

    top = "ecssd-%s-linux-x86_64" % args.version
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        entries = bundle_entries(args, tmp)
        partial = args.output + ".tmp"
        # gzip with a fixed mtime and no name: the same inputs give the same bytes.
        with open(partial, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="",
                                                       compresslevel=9) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
            dirs = set()
            for name, _, _ in entries:
                parts = name.split("/")[:-1]
                for i in range(len(parts)):
                    dirs.add("/".join(parts[:i + 1]))
            add_dir(tar, top)
            for d in sorted(dirs):
                add_dir(tar, top + "/" + d)
            for name, source, mode in entries:
                if isinstance(source, Symlink):
                    add_symlink(tar, top + "/" + name, source)
                elif isinstance(source, bytes):
                    add_bytes(tar, top + "/" + name, source, mode)
                else:
                    add_file(tar, source, top + "/" + name, mode)
        os.replace(partial, args.output)
    print("build_tarball.py: %s: %d files, %.1f MB" % (args.output, len(entries), os.path.getsize(args.output) / 1e6))


if __name__ == "__main__":
    sys.exit(main())
