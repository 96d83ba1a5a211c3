#!/usr/bin/env python3
"""Builds the AWS Lambda deployment zip of `ecssd lambda` for the custom
runtime provided.al2023.

The binary is built on Debian 12 (glibc 2.36); Amazon Linux 2023 has an older
glibc, so the zip carries the binary (stripped) with every shared library it
needs, the dynamic loader and libc included, in lib/ (deploy/bundle.py, which
the tarball and the container image share). `bootstrap` at the root
starts the binary through that loader:

    lib/ld-linux-x86-64.so.2 --library-path lib --argv0 bootstrap ./ecssd

so the system's libraries are never mixed in, and the binary sees
argv[0] = "bootstrap" (it then runs `ecssd lambda`).

    build_zip.py --binary build/ecssd --output build/ecssd-lambda.zip
"""
import argparse
import os
import stat
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bundle import LAUNCH_CA_BUNDLE, LOADER, bundle_files  # noqa: E402 (deploy/bundle.py)

BOOTSTRAP = """#!/bin/sh
# Lambda custom runtime entry point (provided.al2023), written by
# deploy/lambda/build_zip.py. ecssd and its libraries come from Debian 12 and
# run with their own loader and glibc from lib/, never the system's.
root="${LAMBDA_TASK_ROOT:-$(cd "$(dirname "$0")" && pwd)}"
%sexec "$root/lib/%s" --library-path "$root/lib" --argv0 bootstrap "$root/ecssd" "$@"
""" % (LAUNCH_CA_BUNDLE, LOADER)


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
    p.add_argument("--strip", default=None)
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        files = bundle_files(args.binary, tmp, args.strip)
        bootstrap = os.path.join(tmp, "bootstrap")
        with open(bootstrap, "w") as f:
            f.write(BOOTSTRAP)
        partial = args.output + ".tmp"
        with zipfile.ZipFile(partial, "w") as zf:
            add(zf, bootstrap, "bootstrap", 0o755)
            for path, name, mode in files:
                add(zf, path, name, mode)
        os.replace(partial, args.output)
    size = os.path.getsize(args.output)
    print("build_zip.py: %s: bootstrap, ecssd (stripped), %d libraries and the loader; %.1f MB"
          % (args.output, len(files) - 2, size / 1e6))


if __name__ == "__main__":
    sys.exit(main())
