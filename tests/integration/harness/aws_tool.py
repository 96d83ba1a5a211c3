"""Runs tests/tools/aws_tool (ecssd's AWS plumbing driver) and parses its JSON."""
import json
import os
import subprocess
import time


def aws_tool_path():
    """ECSSD_AWS_TOOL (set by ctest), else next to ECSSD_BIN in the build tree."""
    path = os.environ.get("ECSSD_AWS_TOOL")
    if not path and os.environ.get("ECSSD_BIN"):
        path = os.path.join(os.path.dirname(os.environ["ECSSD_BIN"]), "tests", "tools", "aws_tool")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("aws_tool not found: set ECSSD_AWS_TOOL (ctest does) or ECSSD_BIN")
    return path


class ToolResult:
    def __init__(self, returncode, output, stderr, elapsed):
        self.returncode = returncode
        self.output = output      # the parsed JSON object
        self.stderr = stderr
        self.elapsed = elapsed    # seconds

    @property
    def ok(self):
        return self.returncode == 0

    @property
    def error(self):
        return self.output.get("error", {})

    def __repr__(self):
        return f"rc={self.returncode} out={self.output} stderr={self.stderr[-2000:]}"


def run_aws_tool(args, env, timeout=60, stdin=None):
    """Runs aws_tool with `args` in `env`; returns a ToolResult."""
    start = time.monotonic()
    proc = subprocess.run([aws_tool_path()] + list(args), env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    elapsed = time.monotonic() - start
    try:
        output = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        output = {"unparsed": proc.stdout}
    return ToolResult(proc.returncode, output, proc.stderr, elapsed)


def isolated_env(home, **extra):
    """The process environment without any AWS configuration, HOME=home and
    IMDS disabled unless `extra` says otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = home
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env
