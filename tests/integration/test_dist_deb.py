"""The Debian package (build/dist/ecssd_<version>_amd64.deb) as a Debian 12
user gets it: lintian finds no error and no warning (each remaining
informational tag is explained in docs/PACKAGING.md), the contents and
control fields are what the issue lists, ecssd(1) covers every flag the CLI
prints and renders without a groff warning, and in a clean Debian 12 root
(harness/roots.py, imported into a private dockerd) `apt-get install
./ecssd_*.deb` resolves its dependencies from the mirror, `ecssd version` and
`ecssd agent --help` run, and `apt-get purge --autoremove` leaves no file
behind.
"""
import gzip
import os
import re
import subprocess
import tempfile
import unittest

from harness.dockerd import Dockerd
from harness.roots import dist_dir, import_root

ROOT = os.environ.get("ECSSD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VERSION = os.environ.get("ECSSD_VERSION", "0.1.0")
DEB = os.path.join(dist_dir(), "ecssd_%s_amd64.deb" % VERSION)

# Inside the clean root: what changed on the file system between before the
# installation and after the purge, outside apt's and dpkg's own state and
# the logs (which record that something was installed).
INSTALL_PURGE = r"""
set -eu
export DEBIAN_FRONTEND=noninteractive
snapshot() {
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /dist \
      -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log \) -prune -o -print \
    | sort >"$1"
}
apt-get update -q >/dev/null
snapshot /tmp/before
apt-get install -y -q --no-install-recommends /dist/ecssd_VERSION_amd64.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
echo "== version"; ecssd version
echo "== agent help"; ecssd agent --help >/tmp/help; head -2 /tmp/help; grep -c -- '--docker-host' /tmp/help
echo "== owner"; dpkg -S /usr/bin/ecssd /usr/lib/systemd/system/ecssd-agent.service /etc/default/ecssd
echo "== conffiles"; dpkg-query -W -f='${Conffiles}\n' ecssd
echo "== units"; systemctl is-enabled ecssd-agent.service || true
echo "== deps"; apt-mark showauto | wc -l
apt-get purge -y -q --autoremove ecssd >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
echo "== status"; dpkg-query -W -f='${db:Status-Abbrev}\n' ecssd 2>&1 || true
snapshot /tmp/after
echo "== leftovers"; diff /tmp/before /tmp/after || true
echo "== end"
"""


def lintian(path):
    r = subprocess.run(["lintian", "--display-info", "--pedantic", "--no-tag-display-limit", path],
                       capture_output=True, text=True, timeout=300)
    return r.returncode, [l for l in r.stdout.splitlines() if re.match(r"^[EWIPX]: ", l)], r.stderr


def sections(text):
    """{"version": [lines], ...} of the install script's `== name` sections."""
    out, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^== (.*)$", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current:
            out[current].append(line)
    return out


class DebPackageTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(DEB), "%s missing: build the dist target" % DEB)

    def test_lintian_reports_no_error_or_warning_and_explains_the_rest(self):
        code, tags, err = lintian(DEB)
        self.assertEqual([t for t in tags if t[0] in "EW"], [], "\n".join(tags))
        self.assertEqual(code, 0, err)
        with open(os.path.join(ROOT, "docs", "PACKAGING.md")) as f:
            doc = f.read()
        for tag in tags:
            name = tag.split(": ", 2)[2].split()[0]
            self.assertTrue("`%s`" % name in doc, "lintian tag %s is not explained in docs/PACKAGING.md" % name)

    def test_contents_and_control(self):
        listing = subprocess.run(["dpkg-deb", "-c", DEB], capture_output=True, text=True, check=True).stdout
        paths = {l.split()[-1].lstrip(".") for l in listing.splitlines()}
        for p in ("/usr/bin/ecssd", "/usr/lib/systemd/system/ecssd-agent.service",
                  "/usr/lib/systemd/system/ecssd-reap.service", "/usr/lib/systemd/system/ecssd-reap.timer",
                  "/etc/default/ecssd", "/etc/ecssd/reap.env", "/usr/share/man/man1/ecssd.1.gz",
                  "/usr/share/ecssd/iam/agent-policy.json", "/usr/share/ecssd/iam/reaper-policy.json",
                  "/usr/share/ecssd/cloudformation/ecssd.yaml", "/usr/share/doc/ecssd/copyright",
                  "/usr/share/doc/ecssd/changelog.gz"):
            self.assertIn(p, paths)
        self.assertFalse([p for p in paths if p.startswith("/usr/local") or p.startswith("/lib/")], paths)
        field = lambda name: subprocess.run(["dpkg-deb", "-f", DEB, name], capture_output=True,  # noqa: E731
                                            text=True, check=True).stdout.strip()
        self.assertEqual(field("Version"), VERSION)
        depends = field("Depends")
        for lib in ("libc6", "libssl3", "libknot13", "libsystemd0", "libboost-json1.81.0", "libspdlog1.10-fmt9"):
            self.assertIn(lib, depends)
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["dpkg-deb", "-R", DEB, d], check=True)
            with open(os.path.join(d, "DEBIAN", "conffiles")) as f:
                self.assertEqual(f.read().split(), ["/etc/default/ecssd", "/etc/ecssd/reap.env"])
            with open(os.path.join(d, "usr/lib/systemd/system/ecssd-agent.service")) as f:
                unit = f.read()
            self.assertIn("\nExecStart=/usr/bin/ecssd agent\n", unit)
            self.assertIn("\nType=notify\n", unit)
            self.assertFalse([l for l in unit.splitlines() if "/usr/local" in l and not l.startswith("#")], unit)
            # /etc/default/ecssd: every setting of `ecssd agent`, commented out.
            help_text = subprocess.run([os.environ["ECSSD_BIN"], "agent", "--help"], capture_output=True,
                                       text=True, check=True).stdout
            env_vars = re.findall(r"\(Env:(\w+)\)", help_text)
            with open(os.path.join(d, "etc/default/ecssd")) as f:
                defaults = f.read()
            for var in env_vars:
                self.assertRegex(defaults, r"\n#%s=" % var)
            self.assertFalse([l for l in defaults.splitlines() if l and not l.startswith("#")],
                             "every line is a comment")
            with gzip.open(os.path.join(d, "usr/share/doc/ecssd/changelog.gz"), "rt") as f:
                self.assertTrue(f.readline().startswith("ecssd (%s)" % VERSION))

    def test_man_page_covers_every_flag_and_renders_cleanly(self):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["dpkg-deb", "-x", DEB, d], check=True)
            page = os.path.join(d, "usr/share/man/man1/ecssd.1.gz")
            r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", page], capture_output=True,
                               text=True, timeout=60, env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.strip(), "", "groff warnings:\n" + r.stderr)
            rendered = re.sub(".\x08", "", r.stdout)  # grotty's overstrike bold and underline
        binary = os.environ["ECSSD_BIN"]
        top = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
        subcommands = re.findall(r"^  (\w+)\s", top.split("Subcommands:", 1)[1], re.M)
        self.assertTrue({"agent", "records", "reap", "lambda", "version"} <= set(subcommands), subcommands)
        for sub in subcommands:
            help_text = subprocess.run([binary, sub, "--help"], capture_output=True, text=True, check=True).stdout
            # The subcommand's own section holds each of its flags and variables.
            start = rendered.index("   ecssd %s\n" % sub)
            nxt = [rendered.index("   ecssd %s\n" % s) for s in subcommands if rendered.index("   ecssd %s\n" % s) > start]
            section = rendered[start:min(nxt) if nxt else rendered.index("\nENVIRONMENT\n")]
            for flag in re.findall(r"^  (?:-\w,)?(--[\w-]+)", help_text, re.M):
                self.assertRegex(section, r"(^|\s)%s\b" % re.escape(flag), "%s %s" % (sub, flag))
            for var in re.findall(r"\(Env:(\w+)\)", help_text):
                self.assertIn(var, section, "%s %s" % (sub, var))
                self.assertIn("\n       %s\n" % var, rendered.split("\nENVIRONMENT\n", 1)[1])
        for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "SUBCOMMANDS", "ENVIRONMENT", "EXIT STATUS", "SIGNALS",
                        "FILES"):
            self.assertIn("\n%s\n" % heading, rendered)
        for needle in ("SIGTERM", "SIGHUP", "NOTIFY_SOCKET", "DOCKER_HOST", "/etc/default/ecssd"):
            self.assertIn(needle, rendered)
        exit_status = rendered.split("\nEXIT STATUS\n", 1)[1].split("\nSIGNALS\n", 1)[0]
        self.assertEqual(re.findall(r"^       (\d)\s", exit_status, re.M), ["0", "1", "2"])

    def test_installs_runs_and_purges_in_a_clean_debian_12(self):
        with Dockerd() as d:
            image = import_root(d, "bookworm")
            script = INSTALL_PURGE.replace("VERSION", VERSION)
            out = d.docker("run", "--rm", "--network", "host", "-v", "%s:/dist:ro" % dist_dir(), image,
                           "bash", "-c", script, timeout=600)
        s = sections(out)
        self.assertIn("end", s, out)
        self.assertEqual(s["version"], ["ecssd %s" % VERSION])
        self.assertEqual(s["agent help"][1], "Usage: ecssd agent [OPTIONS]")
        self.assertEqual(s["agent help"][2], "1")
        self.assertEqual(s["owner"], ["ecssd: /usr/bin/ecssd", "ecssd: /usr/lib/systemd/system/ecssd-agent.service",
                                      "ecssd: /etc/default/ecssd"])
        self.assertEqual(len([l for l in s["conffiles"] if l.strip()]), 2, s["conffiles"])
        # Installed, not enabled: the agent needs its configuration first.
        self.assertEqual(s["units"], ["disabled"])
        self.assertGreater(int(s["deps"][0]), 5, "the libraries came from the mirror as dependencies")
        self.assertNotEqual(s["status"][:1], ["ii "], s["status"])
        self.assertEqual(s["leftovers"], [], "files left after the purge:\n" + "\n".join(s["leftovers"]))


if __name__ == "__main__":
    unittest.main()
