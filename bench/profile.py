#!/usr/bin/env python3
"""Profiles `ssowatch run` with valgrind's callgrind (instruction counts are repeatable, unlike time) against
the simulated API, and prints the top functions per 1,000 connector checks. Used to write bench/profile.md.

    python3 bench/profile.py [--accounts 1000] [--seconds 60] [--phase steady|startup|baseline]

startup:  exec to READY=1 with the state file of a first, unprofiled run.
steady:   the state file already holds every account (a first, unprofiled run makes it), so the profile is
          the cost of routine polling: list, decode, compare, and the deferred state writes.
baseline: a fresh start; every account's first poll is recorded.
Needs valgrind (`apt-get install valgrind`). Standard library only.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ beside the scripts

import procstat
import run_bench


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(run_bench.ROOT, ".build", "release", "ssowatch"))
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--phase", choices=["steady", "baseline", "startup"], default="steady")
    parser.add_argument("--out", default=None, help="callgrind output file")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ssowatch-profile-")
    out = args.out or os.path.join(workdir, "callgrind.out")
    # valgrind 3.19 cannot read the DWARF 5 that swiftc emits; symbols are enough for function profiles.
    profiled = os.path.join(workdir, "ssowatch")
    subprocess.run(["objcopy", "--strip-debug", os.path.abspath(args.binary), profiled], check=True)
    # …and it crashes on dispatch_main(), which Swift's async main calls: see dispatch_main_shim.c.
    lib = "/opt/swift/usr/lib/swift/linux"
    for line in subprocess.run(["ldd", profiled], capture_output=True, text=True).stdout.splitlines():
        if "libdispatch.so" in line and "=>" in line:
            lib = os.path.dirname(line.split("=>")[1].split()[0])
    shim = os.path.join(workdir, "dispatch_main_shim.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", shim, os.path.join(run_bench.HERE, "dispatch_main_shim.c"),
                    f"-L{lib}", f"-Wl,-rpath,{lib}", "-ldispatch"], check=True)
    sim = run_bench.Simulator(os.path.abspath(args.binary), args.accounts, workdir)
    try:
        accounts = sim.accounts[: args.accounts]
        state_dir = os.path.join(workdir, "state")
        config = run_bench.ssowatch_config(workdir, "profile", sim, accounts, args.interval, state_dir)
        if args.phase in ("steady", "startup"):
            print(f"baselining {args.accounts} accounts without valgrind …", flush=True)
            warm = subprocess.Popen([args.binary, "run", "--config", config], stderr=subprocess.DEVNULL)
            time.sleep(args.interval + 5)
            procstat.stop(warm)
        lists0 = sim.call("GET", "stats")["list_requests"]
        steady = ["--instr-atstart=no"] if args.phase == "steady" else []
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", *steady,
                   profiled, "run", "--config", config]
        print(" ".join(command), flush=True)
        notify = procstat.NotifySocket(os.path.join(workdir, "notify.sock"))
        started = time.monotonic()
        proc = subprocess.Popen(command, stderr=open(os.path.join(workdir, "valgrind.log"), "w"),
                                env=dict(os.environ, LD_PRELOAD=shim, NOTIFY_SOCKET=notify.path))
        if args.phase == "steady":
            # Start-up (configuration, state file) is profiled separately: count from READY=1 on.
            if notify.wait_for("READY=1", started, 300) is None:
                raise SystemExit("no READY=1 under valgrind within 300 s")
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], capture_output=True, check=False)
            lists0 = sim.call("GET", "stats")["list_requests"]
        if args.phase == "startup":
            # exec to READY=1 with the state file of the baselining run.
            if notify.wait_for("READY=1", started, 600) is None:
                raise SystemExit("no READY=1 under valgrind within 600 s")
        else:
            time.sleep(args.seconds)
        # Dump before SIGTERM, so the final state write at shutdown is left out too.
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=False)
        polls = sim.call("GET", "stats")["list_requests"] - lists0
        procstat.stop(proc, timeout=60)
        notify.close()
        dumps = sorted(p for p in os.listdir(os.path.dirname(out)) if os.path.basename(p).startswith(os.path.basename(out) + "."))
        if dumps:
            out = os.path.join(os.path.dirname(out), dumps[0])
    finally:
        sim.stop()
    checks = polls * run_bench.CONNECTORS
    print(f"{polls} polls = {checks} connector checks in {args.seconds:.0f} s under valgrind; output {out}")
    annotate = subprocess.run(["callgrind_annotate", "--inclusive=no", out], capture_output=True, text=True).stdout
    total = None
    for line in annotate.splitlines():
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
    if total and checks:
        print(f"total {total:,} instructions = {total / checks * 1000:,.0f} per 1,000 checks")
    print("\n".join(annotate.splitlines()[: args.top + 25]))
    incl = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True, text=True).stdout
    print("\n--- inclusive ---")
    print("\n".join(incl.splitlines()[: args.top + 25]))


if __name__ == "__main__":
    sys.exit(main())
