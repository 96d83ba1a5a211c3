"""Shared by the benchmark scripts: the machine line and rewriting one section
of docs/BENCHMARKS.md between <!-- bench:NAME:begin --> and <!-- bench:NAME:end -->."""
import os
import platform


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line():
    return f"{cpu_model()}, {os.cpu_count()} cores, Linux {platform.release()}"


def write_section(doc, name, text):
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    body = f"{begin}\n{text.strip()}\n{end}"
    try:
        with open(doc) as f:
            current = f.read()
    except FileNotFoundError:
        current = "# Benchmarks\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        tail = rest.split(end, 1)[1]
        new = head + body + tail
    else:
        new = current.rstrip("\n") + "\n\n" + body + "\n"
    with open(doc, "w") as f:
        f.write(new)
