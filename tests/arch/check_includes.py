#!/usr/bin/env python3
"""Checks every #include "..." under src/ against the rooms' dependency table.

The table is written by CMake (src/CMakeLists.txt: ecssd_room(NAME USES ...)):
each room is a folder of src/ and one static library, and may include only
its own headers and those of the rooms it USES (transitively, as the library
links them). An include of any other room is an upward or sideways arrow
that docs/DESIGN.md does not allow, and fails this check, like Chromium's
checkdeps or Envoy's per-package BUILD deps.

  check_includes.py --rooms build/rooms.json --src src
Exit 0 when every include is allowed; 1 with one line per violation.
"""
import argparse
import json
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def load_rooms(path):
    with open(path) as f:
        rooms = json.load(f)["rooms"]
    # Transitive closure: a room may include what the rooms it uses may.
    closure = {}

    def reach(name, stack=()):
        if name in closure:
            return closure[name]
        if name in stack:
            raise SystemExit(f"check_includes: the rooms form a cycle: {' -> '.join(stack + (name,))}")
        out = {name}
        for dep in rooms[name]["uses"]:
            if dep not in rooms:
                raise SystemExit(f"check_includes: room {name} uses {dep}, which is not a room")
            out |= reach(dep, stack + (name,))
        closure[name] = out
        return out

    for name in rooms:
        reach(name)
    return rooms, closure


def room_of(rel_path, rooms):
    """The room whose folder holds rel_path (longest folder wins), or None."""
    best, best_len = None, -1
    for name, room in rooms.items():
        for d in room["dirs"]:
            prefix = d.rstrip("/") + "/"
            if (rel_path.startswith(prefix) or rel_path == d) and len(prefix) > best_len:
                best, best_len = name, len(prefix)
        for f in room.get("files", []):
            if rel_path == f and len(f) > best_len:
                best, best_len = name, len(f)
    return best


def check(src, rooms, closure):
    violations = []
    for root, _, files in os.walk(src):
        for fn in sorted(files):
            if not fn.endswith((".h", ".cc", ".hpp", ".cpp")):
                continue
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, src)
            owner = room_of(rel, rooms)
            if owner is None:
                violations.append(f"{rel}: belongs to no room (add its folder to an ecssd_room)")
                continue
            with open(path, errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if not os.path.exists(os.path.join(src, target)):
                        continue  # a relative or generated include, not a room's header
                    used = room_of(target, rooms)
                    if used is None or used in closure[owner]:
                        continue
                    violations.append(
                        f"{rel}:{lineno}: room '{owner}' includes \"{target}\" of room '{used}', "
                        f"which it may not use (it uses: {', '.join(sorted(closure[owner] - {owner})) or 'nothing'})")
    return violations


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", required=True, help="rooms.json written by CMake")
    ap.add_argument("--src", required=True, help="the src/ folder")
    args = ap.parse_args()
    rooms, closure = load_rooms(args.rooms)
    violations = check(args.src, rooms, closure)
    for v in violations:
        print(v)
    if violations:
        print(f"check_includes: {len(violations)} include(s) break the rooms' arrows (see docs/DESIGN.md)")
        return 1
    print(f"check_includes: {len(rooms)} rooms, every include allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
