"""Clean Debian roots for the package, tarball and user-data tests, made with
mmdebstrap from the configured Debian mirror and cached in the build folder
(build/cache/roots/), so only the first run of a build folder pays for them
(about a minute for bookworm, half a minute for bullseye).

    tar_path = debian_root("bookworm")     # mmdebstrap --variant=minbase --include=systemd bookworm
    image = import_root(dockerd, "bookworm")  # that tar imported into a private dockerd

Tests running side by side under ctest -j2 share a root: a lock file makes
the second wait for the first one's mmdebstrap instead of running its own.
A root is never changed after it is made; tests work in containers made from
it (docker) or in a copy (chroot)."""
import fcntl
import os
import shutil
import subprocess
import tarfile
import time

SUITES = {
    # Debian 12, the build's own release: the .deb is installed here, and the
    # CloudFormation user data runs here (it needs systemctl, which minbase
    # lacks; adding it when the root is made keeps the tests themselves off
    # the network).
    "bookworm": ["systemd"],
    # Debian 11 (glibc 2.31, older than Amazon Linux 2023's 2.34): the
    # self-contained tarball must run here too.
    "bullseye": [],
}


def build_dir():
    """The build folder: $ECSSD_BUILD_DIR, else the folder of $ECSSD_BIN."""
    path = os.environ.get("ECSSD_BUILD_DIR")
    if not path:
        path = os.path.dirname(os.path.abspath(os.environ.get("ECSSD_BIN", "build/ecssd")))
    return path


def dist_dir():
    """Where the packaging targets write the artifacts (build/dist)."""
    return os.environ.get("ECSSD_DIST_DIR") or os.path.join(build_dir(), "dist")


def cache_dir():
    d = os.path.join(build_dir(), "cache", "roots")
    os.makedirs(d, exist_ok=True)
    return d


def debian_root(suite, timeout=900):
    """The path of a tar of `mmdebstrap --variant=minbase <suite>`, made once per build folder."""
    if suite not in SUITES:
        raise ValueError("unknown suite %s" % suite)
    mmdebstrap = shutil.which("mmdebstrap")
    if not mmdebstrap:
        raise RuntimeError("mmdebstrap not found (scripts/install-deps.sh installs it)")
    name = "-".join([suite, "minbase"] + SUITES[suite])
    path = os.path.join(cache_dir(), "%s.tar" % name)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(path):
            return path
        partial = path[:-len(".tar")] + ".partial.tar"  # mmdebstrap picks the format by the extension
        started = time.monotonic()
        args = [mmdebstrap, "--variant=minbase", "--quiet"]
        args += ["--include=" + p for p in SUITES[suite]]
        r = subprocess.run(args + [suite, partial], capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("mmdebstrap %s failed (%s):\n%s" % (suite, r.returncode, r.stderr[-3000:]))
        os.replace(partial, path)
        print("roots.py: %s root made in %.0f s (%s)" % (suite, time.monotonic() - started, path), flush=True)
        return path


def import_root(dockerd, suite, tag=None):
    """Imports the cached root of `suite` into `dockerd` as an image; returns its name."""
    tag = tag or "ecssd-test-%s:root" % suite
    if not dockerd.docker("image", "ls", "-q", tag, check=False, timeout=30):
        dockerd.docker("import", "--change", 'CMD ["/bin/bash"]', debian_root(suite), tag, timeout=300)
    return tag


def extract_root(suite, dest):
    """Unpacks the cached root of `suite` into `dest` (for chroot)."""
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["tar", "-C", dest, "-xf", debian_root(suite)], check=True, timeout=300)
    return dest


def root_file_list(suite):
    """Every path in the cached root of `suite` (as `./usr/bin/...`), for leftover checks."""
    with tarfile.open(debian_root(suite)) as tar:
        return {m.name for m in tar.getmembers()}
