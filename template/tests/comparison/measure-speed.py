#!/usr/bin/env python3
"""Wall time, CPU (user + system) and peak RSS of a command, N runs, from os.wait4's rusage
(millisecond resolution; /usr/bin/time only resolves 10 ms). Used for the cfn-guard numbers in
docs/template-audit.md:

    measure-speed.py -n 5 -- cfn-guard validate -r RULES -d DIR -S none -o json
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def run(cmd):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    runs = [run(cmd) for _ in range(a.n)]
    walls = [r[0] * 1000 for r in runs]
    cpus = [r[1] * 1000 for r in runs]
    print(
        f"wall {min(walls):.1f}-{max(walls):.1f} ms (median {statistics.median(walls):.1f}), "
        f"cpu {min(cpus):.1f}-{max(cpus):.1f} ms (median {statistics.median(cpus):.1f}), "
        f"peak rss {max(r[2] for r in runs):.1f} MB, exit {sorted({r[3] for r in runs})}"
    )


if __name__ == "__main__":
    sys.exit(main())
