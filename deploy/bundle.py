"""What every self-contained form of ecssd shares (the Lambda zip, the
linux-x86_64 tarball, the container image): the binary, stripped, with every
shared library it needs and glibc's dynamic loader, so it runs on any x86-64
Linux whatever its glibc (Amazon Linux 2023 has 2.34, Debian 11 2.31; the
build's is Debian 12's 2.36).

    libs, loader = shared_libraries("build/ecssd")   # [(soname, path)], loader path
    strip_binary("build/ecssd", "out/ecssd")
    files = bundle_files("build/ecssd", tmp)          # [(source path, name in lib/, mode)]

A bundle starts the binary through its own loader, never the system's:

    lib/ld-linux-x86-64.so.2 --library-path lib --argv0 NAME lib/../ecssd

so the system's libraries are never mixed in (LAUNCH_CA_BUNDLE points
OpenSSL at the system's CA bundle where Debian's default path is missing)."""
import os
import re
import shutil
import subprocess

LOADER = "ld-linux-x86-64.so.2"

# Shell lines for a launcher: Amazon Linux keeps its CA bundle where Debian's
# OpenSSL (OPENSSLDIR /usr/lib/ssl) does not look.
LAUNCH_CA_BUNDLE = """\
if [ -z "${SSL_CERT_FILE:-}" ] && [ ! -e /usr/lib/ssl/cert.pem ] && [ -f /etc/pki/tls/certs/ca-bundle.crt ]; then
  export SSL_CERT_FILE=/etc/pki/tls/certs/ca-bundle.crt
fi
"""


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
            raise SystemExit("bundle.py: %s: a library is missing: %s" % (binary, line))
        m = re.match(r"^(/\S*%s) \(0x[0-9a-f]+\)$" % re.escape(LOADER), line)
        if m:
            loader = m.group(1)
    if loader is None:
        raise SystemExit("bundle.py: ldd shows no %s for %s (not an x86-64 glibc binary?)" % (LOADER, binary))
    return libs, loader


def strip_binary(binary, output, strip=None):
    """Writes `binary` without symbols, debug information or the .comment and .note
    sections (as dh_strip does) to `output`."""
    strip = strip or shutil.which("strip") or "strip"
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    subprocess.run([strip, "--strip-all", "--remove-section=.comment", "--remove-section=.note", "-o", output,
                    binary], check=True)
    os.chmod(output, 0o755)
    return output


def bundle_files(binary, tmp, strip=None):
    """The files of a bundle: [(source path, relative name, mode)]: `ecssd`
    (stripped into `tmp`), then lib/<loader> and lib/<soname> for each library."""
    libs, loader = shared_libraries(binary)
    stripped = strip_binary(binary, os.path.join(tmp, "ecssd"), strip)
    files = [(stripped, "ecssd", 0o755), (os.path.realpath(loader), "lib/" + LOADER, 0o755)]
    for soname, path in sorted(libs):
        files.append((os.path.realpath(path), "lib/" + soname, 0o644))
    return files
