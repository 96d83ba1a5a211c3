#!/usr/bin/env python3
"""Writes the rows of a `scripts/fuzz.sh long` run into the table between the
fuzz-long markers of docs/RELIABILITY.md; rows of targets not run this time
are kept, so one target can be run again on its own.
  long_table.py ROWS RUNS CORES [MAX_SECONDS]   (ROWS: "| target | ... |" lines)
"""
import re
import sys

rows, runs, cores = sys.argv[1], sys.argv[2], sys.argv[3]
cap = sys.argv[4] if len(sys.argv) > 4 else ""
path = "docs/RELIABILITY.md"
text = open(path).read()
begin, end = "<!-- fuzz-long:begin -->", "<!-- fuzz-long:end -->"
old = re.search(re.escape(begin) + "(.*?)" + re.escape(end), text, flags=re.S).group(1)
table = {}
for line in old.splitlines() + rows.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 7 and cells[0] not in ("target", "---"):
        table[cells[0]] = "| " + " | ".join(cells) + " |"
command = f"FUZZ_MAX_SECONDS={cap} scripts/fuzz.sh long {runs}" if cap else f"scripts/fuzz.sh long {runs}"
capped = (f" A target stops at {runs} executions or after {cap} s, whichever comes first: a row under"
          f" {runs} is a target that ran out of time, not one that reached the goal.") if cap else ""
new = (f"{begin}\n`{command}`: {cores} cores, clang-14 -O1 with ASan and UBSan, each target at\n"
       "nice 19 on a machine shared with other builds (seconds are wall time). Crashes: inputs that\n"
       f"stopped the run; each was fixed and the target run again (see the bugs above).{capped}\n\n"
       "| target | executions | seconds | corpus (files) | coverage (edges) | crashes | date |\n"
       "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
       + "\n".join(table[k] for k in sorted(table)) + f"\n{end}")
open(path, "w").write(text.replace(begin + old + end, new))
print(new)
