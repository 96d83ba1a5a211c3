#!/usr/bin/env python3
"""Builds the AWS Lambda deployment zip of `ecssd lambda` for the custom
runtime provided.al2023.

The binary is built on Debian 12 (glibc 2.36); Amazon Linux 2023 has an older
glibc, so the zip carries the binary (stripped) with every shared library it
needs, the dynamic loader and libc included, in lib/. `bootstrap` at the root
starts the binary through that loader:

    lib/ld-linux-x86-64.so.2 --library-path lib --argv0 bootstrap ./ecssd

so the system's libraries are never mixed in, and the binary sees
argv[0] = "bootstrap" (it then runs `ecssd lambda`).

    build_zip.py --binary build/ecssd --output build/ecssd-lambda.zip
"""
import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

LOADER = "ld-linux-x86-64.so.2"

BOOTSTRAP = """#!/bin/sh
# Lambda custom runtime entry point (provided.al2023), written by
# deploy/lambda/build_zip.py. ecssd and its libraries come from Debian 12 and
# run with their own loader and glibc from lib/, never the system's.
root="${LAMBDA_TASK_ROOT:-$(cd "$(dirname "$0")" && pwd)}"
# Amazon Linux keeps its CA bundle where Debian's OpenSSL does not look.
if [ -z "${SSL_CERT_FILE:-}" ] && [ -f /etc/pki/tls/certs/ca-bundle.crt ]; then
  export SSL_CERT_FILE=/etc/pki/tls/certs/ca-bundle.crt
fi
exec "$root/lib/%s" --library-path "$root/lib" --argv0 bootstrap "$root/ecssd" "$@"
""" % LOADER


def shared_libraries(binary):
    """(soname, path) of every library the loader resolves for `binary`, and the loader's path."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libs, loader = [], None
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"^(\S+) => (\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            libs.append((m.group(1), m.group(2)))
            continue
        if "not found" in line:
            raise SystemExit("build_zip.py: %s: a library is missing: %s" % (binary, line))
        m = re.match(r"^(/\S*%s) \(0x[0-9a-f]+\)$" % re.escape(LOADER), line)
        if m:
            loader = m.group(1)
    if loader is None:
        raise SystemExit("build_zip.py: ldd shows no %s for %s (not an x86-64 glibc binary?)" % (LOADER, binary))
    return libs, loader


def add(zf, path, arcname, mode):
    info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        zf.writestr(info, f.read(), compresslevel=9)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--strip", default=shutil.which("strip") or "strip")
    args = p.parse_args()

    libs, loader = shared_libraries(args.binary)
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "ecssd")
        subprocess.run([args.strip, "--strip-all", "-o", binary, args.binary], check=True)
        bootstrap = os.path.join(tmp, "bootstrap")
        with open(bootstrap, "w") as f:
            f.write(BOOTSTRAP)
        partial = args.output + ".tmp"
        with zipfile.ZipFile(partial, "w") as zf:
            add(zf, bootstrap, "bootstrap", 0o755)
            add(zf, binary, "ecssd", 0o755)
            add(zf, os.path.realpath(loader), "lib/" + LOADER, 0o755)
            for soname, path in sorted(libs):
                add(zf, os.path.realpath(path), "lib/" + soname, 0o644)
        os.replace(partial, args.output)
    size = os.path.getsize(args.output)
    print("build_zip.py: %s: bootstrap, ecssd (stripped), %d libraries and the loader; %.1f MB"
          % (args.output, len(libs), size / 1e6))


if __name__ == "__main__":
    sys.exit(main())
