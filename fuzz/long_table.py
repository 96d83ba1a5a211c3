#!/usr/bin/env python3
"""Writes the rows of a `scripts/fuzz.sh long` run into the table between the
fuzz-long markers of docs/RELIABILITY.md; rows of targets not run this time
are kept, so one target can be run again on its own. The text above the
markers says how the rows were made, and is written by hand.
  long_table.py ROWS RUNS CORES [MAX_SECONDS]   (ROWS: "| target | ... |" lines)
"""
import re
import sys

rows = sys.argv[1]  # RUNS, CORES and MAX_SECONDS (fuzz.sh passes them) go in the prose by hand
path = "docs/RELIABILITY.md"
text = open(path).read()
begin, end = "<!-- fuzz-long:begin -->", "<!-- fuzz-long:end -->"
old = re.search(re.escape(begin) + "(.*?)" + re.escape(end), text, flags=re.S).group(1)
table = {}
for line in old.splitlines() + rows.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 7 and cells[0] not in ("target", "---"):
        table[cells[0]] = "| " + " | ".join(cells) + " |"
# Only the table is written: the prose above the markers (the commands, the
# caps, the machine) is kept by hand, since rows come from runs of different
# dates and caps.
new = (f"{begin}\n"
       "| target | executions | seconds | corpus (files) | coverage (edges) | crashes | date |\n"
       "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
       + "\n".join(table[k] for k in sorted(table)) + f"\n{end}")
open(path, "w").write(text.replace(begin + old + end, new))
print(new)
