"""Debian's chromium, headless, for the status page: the DOM after the page's
scripts ran (--dump-dom with --virtual-time-budget) and screenshots.

Started as ENVIRONMENT.md says works here (root: --no-sandbox), with the
background networking off (these machines refuse Chromium's own connections)
and a fresh profile each time. Only loopback pages are opened.
"""
import os
import shutil
import subprocess
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


def chromium_bin():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(args, timeout):
    profile = tempfile.mkdtemp(prefix="ecssd-chromium-")
    try:
        r = subprocess.run([chromium_bin(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                           text=True, timeout=timeout)
        return r
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(url, budget_ms=3000, timeout=60):
    """The page's DOM once its scripts had `budget_ms` of virtual time."""
    r = _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", url], timeout)
    if r.returncode != 0:
        raise RuntimeError("chromium --dump-dom failed (%s): %s" % (r.returncode, r.stderr[-2000:]))
    return r.stdout


def screenshot(url, path, width=1440, height=900, budget_ms=3000, timeout=60):
    r = _run([f"--virtual-time-budget={budget_ms}", f"--window-size={width},{height}",
              f"--screenshot={os.path.abspath(path)}", url], timeout)
    if r.returncode != 0 or not os.path.exists(path):
        raise RuntimeError("chromium --screenshot failed (%s): %s" % (r.returncode, r.stderr[-2000:]))
    return path
