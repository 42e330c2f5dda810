#!/usr/bin/env python3
"""Compares two builds of ssowatch on this machine: the steady-polling phase of `make bench` (bench/run_bench.py's
`load_run`: CPU seconds per 1,000 connector checks, RSS, notification latency), run alternately with each binary
so that both see the same machine, against one simulated API.

    python3 bench/compare_builds.py --before OLD/ssowatch --after .build/release/ssowatch \\
        [--accounts 1000] [--rounds 4] [--drop-key dns_check] [--drop-key settled_poll_interval]

--drop-key removes a `[daemon]` key from the before-binary's configuration, for a build older than the key
(an older ssowatch rejects keys it does not know). Prints each run and the medians; writes
bench/results/compare.json. Used for the restructuring's before/after figures in BENCHMARKS.md.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ beside the scripts

import run_bench


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--drop-key", action="append", default=[])
    parser.add_argument("--before-label", default="before", help="how BENCHMARKS.md names the before build")
    parser.add_argument("--after-label", default="after")
    parser.add_argument("--note", default="", help="a paragraph for BENCHMARKS.md under the table")
    args = parser.parse_args()

    binaries = {"before": os.path.abspath(args.before), "after": os.path.abspath(args.after)}
    current = {"label": "after"}
    make_config = run_bench.ssowatch_config

    def config_for_current_binary(*positional, **named):
        path = make_config(*positional, **named)
        if current["label"] == "before" and args.drop_key:
            with open(path) as f:
                lines = [line for line in f if line.split("=")[0].strip() not in args.drop_key]
            with open(path, "w") as f:
                f.writelines(lines)
        return path

    run_bench.ssowatch_config = config_for_current_binary
    python = run_bench.ensure_venv()
    workdir = tempfile.mkdtemp(prefix="ssowatch-compare-")
    sim = run_bench.Simulator(binaries["after"], args.accounts, workdir)
    rng = random.Random(6)
    plan = run_bench.size_plan(args.accounts)
    runs = {"before": [], "after": []}
    try:
        for round_index in range(args.rounds):
            # Alternate the order, so neither build always runs first after the simulator's warm-up.
            order = ("before", "after") if round_index % 2 == 0 else ("after", "before")
            for label in order:
                current["label"] = label
                result = run_bench.load_run("ssowatch", binaries[label], python, workdir, sim, args.accounts, plan, rng)
                result["load_average"] = round(os.getloadavg()[0], 2)
                runs[label].append(result)
                print(f"{label:6} CPU s/1000 checks {result.get('cpu_s_per_1000_checks')}  "
                      f"RssAnon {result.get('rss_anon_steady_kb')} kB  RSS {result.get('rss_steady_kb')} kB  "
                      f"peak {result.get('rss_peak_kb')} kB  p50/p99 {result.get('latency_p50_ms')}/"
                      f"{result.get('latency_p99_ms')} ms  load {result['load_average']}", flush=True)
    finally:
        sim.stop()
    summary = {}
    for label in ("before", "after"):
        summary[label] = {key: statistics.median(run[key] for run in runs[label])
                          for key in ("cpu_s_per_1000_checks", "rss_anon_steady_kb", "rss_steady_kb", "rss_peak_kb",
                                      "latency_p50_ms", "latency_p99_ms")}
        print(label, "medians:", json.dumps(summary[label]))
    results = os.path.join(run_bench.HERE, "results", "compare.json")
    with open(results, "w") as f:
        json.dump({"binaries": binaries, "before_label": args.before_label, "after_label": args.after_label,
                   "note": args.note, "accounts": args.accounts, "rounds": args.rounds, "runs": runs,
                   "medians": summary, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, f, indent=2)
    print(f"wrote {results}")


if __name__ == "__main__":
    main()
