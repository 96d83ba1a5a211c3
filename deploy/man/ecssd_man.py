#!/usr/bin/env python3
"""Generates ecssd's man page, ecssd(1), and the commented configuration files
the packages install, from the built binary's own help, so neither drifts
from the CLI:

    ecssd_man.py --binary build/ecssd --man build/man/ecssd.1 \\
                 --agent-env build/man/ecssd.env --reap-env build/man/reap.env

The subcommands come from `ecssd --help`, each one's description, options
(with their value, default and environment variable) and notes from
`ecssd <subcommand> --help` (CLI11's layout). The sections CLI11 knows
nothing about (ENVIRONMENT beyond ECSSD_*, EXIT STATUS, SIGNALS, FILES) are
written here.

--agent-env writes /etc/default/ecssd (read by ecssd-agent.service): every
setting of `ecssd agent`, commented out, with its default and help.
--reap-env writes /etc/ecssd/reap.env (ecssd-reap.service) for `ecssd reap`.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import textwrap

# Sections of the page written here rather than read from --help.
DESCRIPTION = """\
An agent on every container host watches the Docker Engine API (or Podman's
Docker-compatible API). A container opts in with the environment variable or
label SERVICE_<port>_NAME=<name>; when it starts, the agent publishes DNS
records for it, when it dies the agent withdraws them. Records go to the
agent's own authoritative DNS responder (the embedded provider) or to a
Route 53 hosted zone. Every record has a companion TXT record saying which
host and container own it, so any agent or reaper tells whose record is whose
without local state.
"""

CONTAINERS = [
    ("SERVICE_<port>_NAME=<name>", "publish container port <port> as <name> (below the first --zone; a name "
     "ending in a dot goes to the served zone that holds it)"),
    ("SERVICE_NAME=<name>", "the same, for a container with exactly one exposed or published port"),
    ("SERVICE_IGNORE=1, SERVICE_<port>_IGNORE=1", "opt out"),
    ("SERVICE_<port>_CHECK_HTTP=<path>", "published only once GET <path> answers 2xx or 3xx, withdrawn after "
                                         "it fails; the reaper checks the same path"),
    ("SERVICE_<port>_CHECK_TCP=true", "the same with a TCP connect; false opts the port out of --check-all"),
    ("SERVICE_<port>_CHECK_HTTP_STATUS=<code>, _CHECK_INTERVAL=<duration>, _CHECK_TIMEOUT=<duration>, "
     "_CHECK_RISE=<n>, _CHECK_FALL=<n>", "tune that check; SERVICE_CHECK_* sets it for every port"),
    ("SERVICE_<port>_TAGS, SERVICE_TAGS", "tags, kept in the ownership data"),
    ("SERVICE_<port>_PRIORITY=<n>, SERVICE_<port>_WEIGHT=<n>", "the SRV record's priority and weight (0-65535, "
     "default 1 and 1); SERVICE_PRIORITY and SERVICE_WEIGHT set them for every port"),
]

OTHER_ENVIRONMENT = [
    ("DOCKER_HOST", "agent: the container engine when --docker-host and ECSSD_DOCKER_HOST are unset "
                    "(default unix:///var/run/docker.sock)."),
    ("AWS_REGION, AWS_DEFAULT_REGION", "route53, reap, lambda: the AWS region (on EC2 it is read from the "
                                      "instance metadata when unset)."),
    ("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
     "static credentials; otherwise AWS_PROFILE (AWS_DEFAULT_PROFILE) in AWS_SHARED_CREDENTIALS_FILE and "
     "AWS_CONFIG_FILE, the ECS task role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, "
     "AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN, "
     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE), then the EC2 instance role, in this order."),
    ("AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE, "
     "AWS_METADATA_SERVICE_TIMEOUT, AWS_METADATA_SERVICE_NUM_ATTEMPTS",
     "the EC2 instance metadata service (IMDSv2): off, another address, IPv6, its timeout and attempts."),
    ("AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
     "other endpoints for the AWS APIs, as the AWS SDKs read them."),
    ("AWS_CA_BUNDLE, SSL_CERT_FILE, SSL_CERT_DIR", "the certificate authorities trusted for HTTPS."),
    ("AWS_LAMBDA_RUNTIME_API", "lambda: the Lambda Runtime API, set by AWS Lambda. Started as bootstrap with "
                               "it set, ecssd runs ecssd lambda."),
    ("NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID",
     "agent: set by systemd for a Type=notify unit. The agent sends READY=1 once the engine was listed and "
     "the first plan run is done, STATUS= lines, WATCHDOG=1 every half WATCHDOG_USEC and STOPPING=1 "
     "(sd_notify(3))."),
    ("HOME", "where ~/.aws/credentials and ~/.aws/config are looked for."),
]

EXIT_STATUS = [
    ("0", "done: the subcommand finished, or the agent or reaper stopped on SIGTERM or SIGINT."),
    ("1", "failure: the container engine, the provider or AWS failed, or a reap pass failed "
          "(including its safety valve)."),
    ("2", "usage: bad flags, environment values or configuration."),
]

SIGNALS = [
    ("SIGTERM, SIGINT", "stop cleanly. The agent leaves its records in place (the containers still run); "
                        "withdraw them on purpose with ecssd agent --remove-all."),
    ("SIGHUP", "agent: forget the provider cache and relist the engine now (a resync)."),
]

FILES = [
    ("/usr/bin/ecssd", "the binary (Debian package; /usr/local/bin/ecssd from the tarball)."),
    ("/etc/default/ecssd", "environment of ecssd-agent.service: ECSSD_* settings of ecssd agent."),
    ("/etc/ecssd/reap.env", "environment of ecssd-reap.service: ECSSD_* settings of ecssd reap."),
    ("/usr/lib/systemd/system/ecssd-agent.service",
     "the agent (Type=notify, WatchdogSec=30s), run as a dynamic user in the docker group."),
    ("/usr/lib/systemd/system/ecssd-reap.service, ecssd-reap.timer", "one reap pass every 5 minutes."),
    ("/usr/share/ecssd/iam/", "least-privilege IAM policies of the agent and the reaper."),
    ("/usr/share/ecssd/cloudformation/ecssd.yaml", "a CloudFormation stack: ECS cluster, private zone, agents "
                                                  "and the reaper as a Lambda function."),
    ("/var/run/docker.sock", "the Docker Engine API; the agent only sends GET requests."),
]


def help_text(binary, *args):
    r = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    if r.returncode != 0:
        raise SystemExit("ecssd_man.py: %s %s --help exited %d: %s" % (binary, " ".join(args), r.returncode, r.stderr))
    return r.stdout


class Option:
    def __init__(self, names, kind, default, env, excludes, description):
        self.names = names            # ["-h", "--help"]
        self.kind = kind              # CLI11's type text: "TEXT:{a,b}", "INT:INT in [1 - 64]", "" for flags
        self.default = default        # "" when none
        self.env = env                # "ECSSD_ZONE" or ""
        self.excludes = excludes      # "--every" or ""
        self.description = description

    @property
    def long(self):
        return [n for n in self.names if n.startswith("--")][0]

    def metavar(self):
        """(value placeholder, allowed values or range or "")."""
        if not self.kind:
            return "", ""
        base, _, check = self.kind.partition(":")
        repeat = base.endswith(" ...")
        base = base.replace(" ...", "")
        m = re.match(r"^\{(.*)\}$", check)
        if m:
            return "|".join(m.group(1).split(",")), ""
        m = re.match(r"^(?:INT|FLOAT|UINT) in \[(.*) - (.*)\]$", check)
        if m:
            return ("N" if base in ("INT", "UINT") else "X"), "%s to %s" % m.groups()
        if check:
            name = check.upper()
            return name + (" ..." if repeat else ""), ""
        return {"TEXT": "VALUE", "INT": "N", "UINT": "N", "FLOAT": "X"}.get(base, base) + \
            (" ..." if repeat else ""), ""


def parse_options(lines):
    """CLI11 option lines: `  -h,--help  Print...` or `  --x TYPE=def (Env:V)` + indented description."""
    options = []
    for line in lines:
        if re.match(r"^  -", line):
            spec, _, desc = line.strip().partition("  ")
            env = ""
            m = re.search(r" \(Env:(\w+)\)", spec)
            if m:
                env = m.group(1)
                spec = spec[:m.start()] + spec[m.end():]
            excludes = ""
            m = re.search(r" Excludes: (.*)$", spec)
            if m:
                excludes = m.group(1).strip()
                spec = spec[:m.start()]
            names, _, kind = spec.partition(" ")
            default = ""
            if "=" in kind:
                kind, _, default = kind.rpartition("=")
            options.append(Option(names.split(","), kind.strip(), default.strip(), env, excludes,
                                  desc.strip()))
        elif options and line.startswith("     ") and line.strip():
            options[-1].description = (options[-1].description + " " + line.strip()).strip()
    return options


def parse_subcommand_help(text):
    """(description, usage, options, notes) of `ecssd <sub> --help`."""
    lines = text.splitlines()
    usage_at = next(i for i, l in enumerate(lines) if l.startswith("Usage: "))
    description = " ".join(l.strip() for l in lines[:usage_at] if l.strip())
    usage = lines[usage_at][len("Usage: "):].strip()
    opt_at = next(i for i, l in enumerate(lines) if l == "Options:")
    end = opt_at + 1
    while end < len(lines) and lines[end].strip():
        end += 1
    options = parse_options(lines[opt_at + 1:end])
    notes = [l.rstrip() for l in lines[end:] if l.strip()]
    return description, usage, options, notes


def parse_top(text):
    """(description, [(subcommand, summary)]) of `ecssd --help`."""
    lines = text.splitlines()
    usage_at = next(i for i, l in enumerate(lines) if l.startswith("Usage: "))
    description = " ".join(l.strip() for l in lines[:usage_at] if l.strip())
    sub_at = next(i for i, l in enumerate(lines) if l == "Subcommands:")
    subs = []
    for l in lines[sub_at + 1:]:
        m = re.match(r"^  (\S+)\s+(.*)$", l)
        if m:
            subs.append((m.group(1), m.group(2).strip()))
    return description, subs


def roff(text):
    """Escapes text for roff: backslashes, minus signs, a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def bold(text):
    return "\\fB" + roff(text) + "\\fR"


def italic(text):
    return "\\fI" + roff(text) + "\\fR"


def option_roff(o):
    names = ", ".join(bold(n) for n in o.names)
    value, allowed = o.metavar()
    head = names + (" " + italic(value) if value else "")
    body = [roff(o.description.rstrip(".") + ".")]
    facts = []
    if allowed:
        facts.append("From " + roff(allowed) + ".")
    if o.default:
        facts.append("Default: " + bold(o.default) + ".")
    if o.env:
        facts.append("Environment: " + bold(o.env) + ".")
    if o.excludes:
        facts.append("Not with " + roff(o.excludes) + ".")
    return [".TP", head, " ".join(body + facts)]


def table_roff(rows):
    out = []
    for term, text in rows:
        out += [".TP", bold(term), roff(text)]
    return out


def build(binary):
    top_description, subs = parse_top(help_text(binary))
    version = subprocess.run([binary, "version"], capture_output=True, text=True, check=True).stdout.split()[-1]
    parsed = {}
    for name, _ in subs:
        parsed[name] = parse_subcommand_help(help_text(binary, name))
    return top_description, version, subs, parsed


def man_page(binary):
    top_description, version, subs, parsed = build(binary)
    date = datetime.datetime.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH") or os.stat(binary).st_mtime),
                                           datetime.timezone.utc).strftime("%Y-%m-%d")
    out = ['.\\" Generated by deploy/man/ecssd_man.py from `ecssd --help`; do not edit.',
           '.TH ECSSD 1 "%s" "ecssd %s" "User Commands"' % (date, version),
           # No hyphenation, ragged right: flag and variable names stay whole.
           ".nh", ".ad l",
           ".SH NAME", "ecssd - DNS service discovery for containers",
           ".SH SYNOPSIS"]
    for name, _ in subs:
        usage = parsed[name][1]
        out += [".HP", bold("ecssd") + " " + bold(name) + " " + roff(usage.split(name, 1)[1].strip())]
    out += [".HP", bold("ecssd") + " " + bold("--help-all")]
    out += [".SH DESCRIPTION", roff(top_description), ".PP"]
    out += [roff(" ".join(DESCRIPTION.split()))]
    out += [".PP", "A container declares its services with environment variables or labels (labels win):"]
    out += table_roff(CONTAINERS)
    out += [".SH SUBCOMMANDS"]
    for name, summary in subs:
        description, usage, options, notes = parsed[name]
        out += [".SS " + bold("ecssd " + name), roff(description)]
        if options:
            out += [".PP", "Options:", ".RS 4"]
            for o in options:
                out += option_roff(o)
            out += [".RE"]
        if notes:
            out += [".PP"]
            for n in notes:
                out += [roff(n.strip()), ".br"]
            out.pop()
    env = {}
    for name, _ in subs:
        for o in parsed[name][2]:
            if o.env:
                env.setdefault(o.env, []).append((name, o))
    out += [".SH ENVIRONMENT",
            "Every flag can also be set by the environment variable named with it; a flag given on the "
            "command line wins."]
    for var in sorted(env):
        users = env[var]
        o = users[0][1]
        where = ", ".join(u for u, _ in users)
        out += [".TP", bold(var), "%s (%s)." % (bold(o.long), roff(where))]
    out += table_roff(OTHER_ENVIRONMENT)
    out += [".SH EXIT STATUS"] + table_roff(EXIT_STATUS)
    out += [".SH SIGNALS"] + table_roff(SIGNALS)
    out += [".SH FILES"] + table_roff(FILES)
    out += [".SH SEE ALSO",
            "\\fBsystemd.service\\fR(5), \\fBsd_notify\\fR(3), \\fBdocker\\fR(1), \\fBdig\\fR(1).",
            roff("Operations, design and AWS deployment: docs/OPERATIONS.md, docs/DESIGN.md and "
                 "docs/deploy-aws.md in the ecssd sources.")]
    return "\n".join(out) + "\n"


def env_file(binary, subcommand, path, unit, header):
    _, version, _, parsed = build(binary)
    _, _, options, _ = parsed[subcommand]
    lines = ["# %s: the environment of %s (ecssd %s)." % (path, unit, version)]
    lines += ["# " + l for l in header]
    lines += ["# Every setting of `ecssd %s` is listed, commented out with its default" % subcommand,
              "# (or empty when it has none); see `ecssd %s --help` and ecssd(1)." % subcommand, ""]
    for o in options:
        if not o.env:
            continue
        for w in textwrap.wrap("%s: %s" % (o.long, o.description), 76):
            lines.append("# " + w)
        value, allowed = o.metavar()
        if "|" in value:
            lines.append("# one of: " + value.replace("|", ", "))
        elif allowed:
            lines.append("# from " + allowed)
        lines.append("#%s=%s" % (o.env, o.default))
        lines.append("")
    return "\n".join(lines)


AGENT_HEADER = [
    "ecssd-agent.service runs `ecssd agent`; uncomment and set what you need,",
    "then `systemctl restart ecssd-agent`. AWS settings (AWS_REGION...) go here",
    "too; credentials come from the instance role, never from this file.",
]
REAP_HEADER = [
    "ecssd-reap.service (started by ecssd-reap.timer) runs `ecssd reap --once`.",
]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--man")
    p.add_argument("--agent-env")
    p.add_argument("--reap-env")
    args = p.parse_args()
    outputs = []
    if args.man:
        outputs.append((args.man, man_page(args.binary)))
    if args.agent_env:
        outputs.append((args.agent_env, env_file(args.binary, "agent", "/etc/default/ecssd",
                                                 "ecssd-agent.service", AGENT_HEADER)))
    if args.reap_env:
        outputs.append((args.reap_env, env_file(args.binary, "reap", "/etc/ecssd/reap.env",
                                                "ecssd-reap.service", REAP_HEADER)))
    for path, text in outputs:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
