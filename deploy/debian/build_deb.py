#!/usr/bin/env python3
"""Builds ecssd_<version>_amd64.deb with dpkg-deb from a staged tree:

    /usr/bin/ecssd                                  the binary, stripped
    /usr/lib/systemd/system/ecssd-agent.service     ExecStart=/usr/bin/ecssd agent
    /usr/lib/systemd/system/ecssd-reap.service, ecssd-reap.timer
    /etc/default/ecssd, /etc/ecssd/reap.env         conffiles, every setting commented
    /usr/share/man/man1/ecssd.1.gz                  ecssd(1), generated from the CLI
    /usr/share/ecssd/iam/*.json                     the IAM policies
    /usr/share/ecssd/cloudformation/ecssd.yaml      the CloudFormation template
    /usr/share/doc/ecssd/copyright, changelog.gz

Depends comes from the binary's shared libraries (dpkg-shlibdeps). The
maintainer scripts do what debhelper's dh_installsystemd writes for units that
are not enabled on installation: reload systemd, restart a running agent on
upgrade, stop it on removal, forget its enablement on purge. The agent needs
its configuration (and the docker group) before it starts: the operator runs
`systemctl enable --now ecssd-agent`.

    build_deb.py --binary build/ecssd --version 0.1.0 --source-dir . --man-dir build/man \\
                 --output-dir build/dist [--maintainer "Name <address>"]
"""
import argparse
import gzip
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bundle import strip_binary  # noqa: E402 (deploy/bundle.py)

UNITS = ("ecssd-agent.service", "ecssd-reap.service", "ecssd-reap.timer")
CONFFILES = ("/etc/default/ecssd", "/etc/ecssd/reap.env")

DESCRIPTION = """\
DNS service discovery for containers
 An agent on every container host watches the Docker Engine API (or Podman's
 Docker-compatible API) and publishes DNS records for the containers that
 declare SERVICE_<port>_NAME=<name>, withdrawing them when the containers
 stop: to its own authoritative DNS responder or to a Route 53 hosted zone.
 Every record carries ownership data, so agents never touch each other's
 records, and "ecssd reap" deletes the records that dead hosts left behind
 (also as an AWS Lambda function).
 .
 The package installs the systemd units ecssd-agent.service (Type=notify,
 with a watchdog) and ecssd-reap.service/.timer, disabled; configure
 /etc/default/ecssd, then run "systemctl enable --now ecssd-agent"."""

POSTINST = """#!/bin/sh
set -e
# Written by deploy/debian/build_deb.py (dh_installsystemd's snippets for units
# not enabled on installation).
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		for unit in %(units)s; do
			if deb-systemd-helper debian-installed "$unit" && deb-systemd-helper --quiet was-enabled "$unit"; then
				deb-systemd-helper enable "$unit" >/dev/null || true
			fi
			deb-systemd-helper update-state "$unit" >/dev/null || true
		done
	fi
	if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ] && command -v deb-systemd-invoke >/dev/null 2>&1; then
			deb-systemd-invoke try-restart ecssd-agent.service >/dev/null || true
		fi
	fi
fi
exit 0
"""

PRERM = """#!/bin/sh
set -e
# Written by deploy/debian/build_deb.py (as dh_installsystemd would).
if [ -z "${DPKG_ROOT:-}" ] && [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null 2>&1; then
	deb-systemd-invoke stop %(units)s >/dev/null || true
fi
exit 0
"""

POSTRM = """#!/bin/sh
set -e
# Written by deploy/debian/build_deb.py (as dh_installsystemd would).
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ]; then
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper purge %(units)s >/dev/null || true
	fi
fi
exit 0
"""


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def gzip_n9(source, dest):
    """gzip -9n: maximum compression, no name or time stamp (lintian asks for both)."""
    with open(source, "rb") as f:
        data = f.read()
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(data)
    os.chmod(dest, 0o644)


def changelog_version(path):
    with open(path) as f:
        m = re.match(r"^ecssd \(([^)]+)\)", f.readline())
    if not m:
        raise SystemExit("build_deb.py: %s does not start with an `ecssd (<version>)` entry" % path)
    return m.group(1)


def shlibdeps(stage, binary):
    """The Depends that dpkg-shlibdeps derives from the binary's libraries."""
    with tempfile.TemporaryDirectory() as tmp:
        write(os.path.join(tmp, "debian", "control"),
              "Source: ecssd\n\nPackage: ecssd\nArchitecture: amd64\n")
        r = subprocess.run(["dpkg-shlibdeps", "-O", "-e" + binary], cwd=tmp, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("build_deb.py: dpkg-shlibdeps failed: %s" % r.stderr)
    for line in r.stdout.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.split("=", 1)[1].strip()
    raise SystemExit("build_deb.py: dpkg-shlibdeps printed no shlibs:Depends: %s" % r.stdout)


def stage_tree(args, stage):
    strip_binary(args.binary, os.path.join(stage, "usr/bin/ecssd"))
    deploy = os.path.join(args.source_dir, "deploy")
    for unit in UNITS:
        with open(os.path.join(deploy, "systemd", unit)) as f:
            text = f.read()
        write(os.path.join(stage, "usr/lib/systemd/system", unit), text.replace("=/usr/local/bin/ecssd", "=/usr/bin/ecssd"))
    write(os.path.join(stage, "etc/default/ecssd"), open(os.path.join(args.man_dir, "ecssd.env"), "rb").read())
    write(os.path.join(stage, "etc/ecssd/reap.env"), open(os.path.join(args.man_dir, "reap.env"), "rb").read())
    gzip_n9(os.path.join(args.man_dir, "ecssd.1"), os.path.join(stage, "usr/share/man/man1/ecssd.1.gz"))
    for policy in ("agent-policy.json", "reaper-policy.json"):
        write(os.path.join(stage, "usr/share/ecssd/iam", policy),
              open(os.path.join(deploy, "iam", policy), "rb").read())
    write(os.path.join(stage, "usr/share/ecssd/cloudformation/ecssd.yaml"),
          open(os.path.join(deploy, "cloudformation", "ecssd.yaml"), "rb").read())
    write(os.path.join(stage, "usr/share/doc/ecssd/copyright"), open(os.path.join(HERE, "copyright"), "rb").read())
    gzip_n9(os.path.join(HERE, "changelog"), os.path.join(stage, "usr/share/doc/ecssd/changelog.gz"))
    for root, dirs, files in os.walk(stage):
        os.chmod(root, 0o755)
        for name in files:
            p = os.path.join(root, name)
            os.chmod(p, 0o755 if p.endswith("usr/bin/ecssd") else 0o644)


def control_files(args, stage):
    debian = os.path.join(stage, "DEBIAN")
    os.makedirs(debian)
    size_kb = 0
    md5 = []
    for root, dirs, files in os.walk(stage):
        dirs[:] = sorted(d for d in dirs if not (root == stage and d == "DEBIAN"))
        size_kb += 1  # dpkg-gencontrol counts a directory as 1 KiB too
        for name in sorted(files):
            p = os.path.join(root, name)
            size_kb += (os.path.getsize(p) + 1023) // 1024
            rel = os.path.relpath(p, stage)
            if "/" + rel not in CONFFILES:
                with open(p, "rb") as f:
                    md5.append("%s  %s\n" % (hashlib.md5(f.read()).hexdigest(), rel))
    depends = shlibdeps(stage, os.path.join(stage, "usr/bin/ecssd"))
    control = ("Package: ecssd\n"
               "Version: %s\n"
               "Architecture: amd64\n"
               "Maintainer: %s\n"
               "Installed-Size: %d\n"
               "Depends: %s\n"
               "Section: net\n"
               "Priority: optional\n"
               "Description: %s\n" % (args.version, args.maintainer, size_kb, depends, DESCRIPTION))
    write(os.path.join(debian, "control"), control)
    write(os.path.join(debian, "md5sums"), "".join(sorted(md5, key=lambda l: l.split("  ", 1)[1])))
    write(os.path.join(debian, "conffiles"), "".join(c + "\n" for c in CONFFILES))
    units = " ".join("'%s'" % u for u in UNITS)
    for name, text in (("postinst", POSTINST), ("prerm", PRERM), ("postrm", POSTRM)):
        write(os.path.join(debian, name), text % {"units": units}, 0o755)
    return depends


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--man-dir", required=True, help="the folder of ecssd.1, ecssd.env and reap.env")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--maintainer", default=os.environ.get("ECSSD_MAINTAINER") or
                   "Seed 3c3b0c3d maintainers <maintainers@users.noreply.r-seed-3c3b0c3d.example>")
    args = p.parse_args()

    logged = changelog_version(os.path.join(HERE, "changelog"))
    if logged != args.version:
        raise SystemExit("build_deb.py: deploy/debian/changelog's latest entry is %s, the project is %s: "
                         "add an entry for %s" % (logged, args.version, args.version))
    os.makedirs(args.output_dir, exist_ok=True)
    output = os.path.join(args.output_dir, "ecssd_%s_amd64.deb" % args.version)
    with tempfile.TemporaryDirectory() as tmp:
        stage = os.path.join(tmp, "ecssd")
        os.makedirs(stage)
        stage_tree(args, stage)
        depends = control_files(args, stage)
        partial = output + ".tmp"
        r = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage, partial],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("build_deb.py: dpkg-deb failed: %s%s" % (r.stdout, r.stderr))
        os.replace(partial, output)
    print("build_deb.py: %s (%.1f MB); Depends: %s" % (output, os.path.getsize(output) / 1e6, depends))


if __name__ == "__main__":
    sys.exit(main())
