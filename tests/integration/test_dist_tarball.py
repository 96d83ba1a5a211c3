"""The self-contained tarball (build/dist/ecssd-<version>-linux-x86_64.tar.gz)
as its users run it: unpacked anywhere, started with an empty environment
from an unrelated folder (and through a symlink, as install.sh links it),
loading only the libraries it carries; and in a Debian 11 root (glibc 2.31,
older than the build's 2.36 and Amazon Linux 2023's 2.34), where the plain
binary cannot start, it runs, and its install.sh installs it with the units
and the configuration files.
"""
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

from harness.agent import wait_until
from harness.ports import free_port
from harness.roots import dist_dir, extract_root

VERSION = os.environ.get("ECSSD_VERSION", "0.1.0")
TARBALL = os.path.join(dist_dir(), "ecssd-%s-linux-x86_64.tar.gz" % VERSION)
TOP = "ecssd-%s-linux-x86_64" % VERSION


def unpack(dest):
    with tarfile.open(TARBALL) as t:
        t.extractall(dest)
    return os.path.join(dest, TOP)


class TarballTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(TARBALL), "%s missing: build the dist target" % TARBALL)
        self.tmp = tempfile.TemporaryDirectory(prefix="ecssd-tarball-")
        self.addCleanup(self.tmp.cleanup)

    def test_layout(self):
        with tarfile.open(TARBALL) as t:
            members = t.getmembers()
        names = {m.name for m in members}
        for name in ("bin/ecssd", "libexec/ecssd/ecssd", "libexec/ecssd/lib/ld-linux-x86-64.so.2",
                     "libexec/ecssd/lib/libc.so.6", "libexec/ecssd/lib/libsystemd.so.0", "install.sh",
                     "share/man/man1/ecssd.1", "share/ecssd/systemd/ecssd-agent.service", "share/ecssd/ecssd.env",
                     "share/ecssd/reap.env", "share/ecssd/iam/agent-policy.json",
                     "share/ecssd/cloudformation/ecssd.yaml", "share/doc/ecssd/third-party/libc6/copyright.gz"):
            self.assertIn(TOP + "/" + name, names)
        for m in members:
            self.assertTrue(m.name == TOP or m.name.startswith(TOP + "/"), m.name)
            self.assertEqual((m.uid, m.gid), (0, 0), m.name)
            if m.issym():
                self.assertFalse(m.linkname.startswith("/"), "absolute symlink %s -> %s" % (m.name, m.linkname))

    def test_runs_with_an_empty_environment_from_an_unrelated_folder(self):
        bundle = unpack(os.path.join(self.tmp.name, "somewhere", "else"))
        cwd = os.path.join(self.tmp.name, "unrelated")
        os.makedirs(cwd)
        link = os.path.join(self.tmp.name, "links", "ecssd")
        os.makedirs(os.path.dirname(link))
        os.symlink(os.path.join(bundle, "bin", "ecssd"), link)
        for exe in (os.path.join(bundle, "bin", "ecssd"), link):
            r = subprocess.run(["env", "-i", exe, "version"], cwd=cwd, capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "ecssd %s\n" % VERSION, ""), exe)
            r = subprocess.run(["env", "-i", exe, "agent", "--help"], cwd=cwd, capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Usage: ecssd agent [OPTIONS]", r.stdout)
        # Usage errors exit 2 through the launcher too.
        r = subprocess.run(["env", "-i", link, "agent", "--no-such-flag"], cwd=cwd, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        # Every library mapped into the running agent is the bundle's own.
        log = os.path.join(self.tmp.name, "agent.log")
        with open(log, "w") as out:
            agent = subprocess.Popen(["env", "-i", link, "agent", "--docker-host", "unix:///nonexistent.sock",
                                      "--dns-listen", "127.0.0.1:%d" % free_port(), "--metrics-listen", ""],
                                     cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            # Started (its signal handlers are in place) and its libraries loaded.
            self.assertTrue(wait_until(lambda: "ecssd agent starting" in open(log).read(), 10), open(log).read())
            maps = wait_until(lambda: self.mapped_libraries(agent.pid), 10)
        finally:
            agent.terminate()
            self.assertEqual(agent.wait(15), 0)
        self.assertTrue(maps, "no libraries seen in /proc/%d/maps" % agent.pid)
        lib = os.path.realpath(os.path.join(bundle, "libexec", "ecssd", "lib"))
        self.assertEqual([p for p in maps if not p.startswith(lib + "/")], [], "libraries from outside the bundle")
        self.assertIn(os.path.join(lib, "libc.so.6"), maps)
        self.assertIn(os.path.join(lib, "ld-linux-x86-64.so.2"), maps)

    @staticmethod
    def mapped_libraries(pid):
        """The shared objects mapped by `pid`, once libknot is among them (the loader is done)."""
        try:
            with open("/proc/%d/maps" % pid) as f:
                paths = {l.split(None, 5)[5].strip() for l in f if len(l.split(None, 5)) == 6}
        except OSError:
            return None
        libs = sorted(p for p in paths if ".so" in os.path.basename(p))
        return libs if any("libknot" in p for p in libs) else None

    def test_runs_and_installs_in_debian_11(self):
        root = extract_root("bullseye", os.path.join(self.tmp.name, "bullseye"))
        bundle = unpack(os.path.join(root, "tmp"))
        shutil.copy(os.environ["ECSSD_BIN"], os.path.join(root, "tmp", "ecssd-plain"))

        def chroot(*argv):
            return subprocess.run(["chroot", root, "/usr/bin/env", "-i", "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                   *argv], capture_output=True, text=True, timeout=60)

        # The root's own glibc is 2.31: the binary as built cannot start there,
        # even given every other library it needs...
        r = chroot("/usr/bin/ldd", "--version")
        self.assertIn("2.31", r.stdout.splitlines()[0])
        others = os.path.join(root, "tmp", "not-glibc")
        os.makedirs(others)
        glibc = ("ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1")
        for name in os.listdir(os.path.join(bundle, "libexec", "ecssd", "lib")):
            if name not in glibc:
                shutil.copy(os.path.join(bundle, "libexec", "ecssd", "lib", name), others)
        r = chroot("LD_LIBRARY_PATH=/tmp/not-glibc", "/tmp/ecssd-plain", "version")
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"version `GLIBC_2\.3[2-9]' not found")
        # ...the tarball's can.
        inside = "/tmp/" + TOP
        self.assertTrue(os.path.isdir(bundle))
        r = chroot(inside + "/bin/ecssd", "version")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "ecssd %s" % VERSION), r.stderr)

        r = chroot(inside + "/install.sh", "--prefix", "/opt/ecssd")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ecssd %s in /opt/ecssd" % VERSION, r.stdout)
        r = chroot("ecssd", "version")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "ecssd %s" % VERSION), r.stderr)
        self.assertEqual(os.readlink(os.path.join(root, "usr/local/bin/ecssd")), "/opt/ecssd/bin/ecssd")
        with open(os.path.join(root, "etc/systemd/system/ecssd-agent.service")) as f:
            self.assertIn("\nExecStart=/usr/local/bin/ecssd agent\n", f.read())
        for path in ("etc/systemd/system/ecssd-reap.service", "etc/systemd/system/ecssd-reap.timer",
                     "etc/default/ecssd", "etc/ecssd/reap.env", "usr/local/share/man/man1/ecssd.1"):
            self.assertTrue(os.path.exists(os.path.join(root, path)), path)

        # Again, over itself (a new version rolled out the same way), keeping edited configuration.
        with open(os.path.join(root, "etc/default/ecssd"), "a") as f:
            f.write("ECSSD_ZONE=sd.internal\n")
        r = chroot(inside + "/install.sh", "--prefix", "/opt/ecssd")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(root, "etc/default/ecssd")) as f:
            self.assertIn("\nECSSD_ZONE=sd.internal\n", f.read())
        self.assertEqual([n for n in os.listdir(os.path.join(root, "opt")) if n != "ecssd"], [],
                         "no staging folder left behind")


if __name__ == "__main__":
    unittest.main()
