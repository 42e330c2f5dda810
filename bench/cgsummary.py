#!/usr/bin/env python3
"""Self cost of a callgrind profile grouped by Swift module / library: `cgsummary.py callgrind.out [N]`."""
import re
import subprocess
import sys
from collections import Counter

MODULES = {"13SSOWatchModel": "SSOWatchModel", "14SSOWatchConfig": "SSOWatchConfig", "12SSOWatchHTTP": "SSOWatchHTTP", "18SSOWatchCloudflare": "SSOWatchCloudflare", "13SSOWatchState": "SSOWatchState", "14SSOWatchNotify": "SSOWatchNotify", "14SSOWatchDaemon": "SSOWatchDaemon", "15AsyncHTTPClient": "AsyncHTTPClient", "7NIOCore": "NIOCore",
           "8NIOPosix": "NIOPosix", "8NIOHTTP1": "NIOHTTP1", "10Foundation": "Foundation (corelibs)",
           "20FoundationEssentials": "FoundationEssentials", "7Logging": "Logging", "7Tracing": "Tracing"}


def group(name, obj):
    mangled = re.match(r"\$s(\d+[A-Za-z_]+)", name)
    if mangled:
        for prefix, module in MODULES.items():
            if mangled.group(1).startswith(prefix):
                return module
    if "libswiftCore" in obj or "swift_" in name:
        return "Swift runtime/stdlib"
    if "libdispatch" in obj or "_dispatch" in name:
        return "libdispatch"
    if "libc.so" in obj or "malloc" in name or "memcpy" in name or "memset" in name:
        return "libc (malloc, memcpy, syscalls)"
    if "ICU" in obj or "icu_" in name:
        return "ICU (via Foundation)"
    if "ssowatch" in obj:
        return "ssowatch binary, other (NIO/AHC generics, specialisations)"
    return obj.split("/")[-1] or "?"


def main():
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", sys.argv[1]],
                         capture_output=True, text=True).stdout
    totals, functions, total = Counter(), Counter(), 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S+?):(.*?)(?: \[(.*)\])?$", line)
        if not m:
            continue
        cost = int(m.group(1).replace(",", ""))
        if m.group(2) == "PROGRAM" or "TOTALS" in line:
            continue
        name, obj = m.group(3), m.group(4) or ""
        totals[group(name, obj)] += cost
        functions[(name[:110], obj.split("/")[-1])] += cost
        total += cost
    print(f"{total:,} instructions (self cost, all threads)")
    for module, cost in totals.most_common():
        print(f"{cost / total * 100:6.1f}%  {module}")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    print()
    for (name, obj), cost in functions.most_common(count):
        print(f"{cost / total * 100:6.2f}%  {name}  [{obj}]")


if __name__ == "__main__":
    main()
