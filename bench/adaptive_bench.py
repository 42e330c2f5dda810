#!/usr/bin/env python3
"""`make bench-adaptive`: adaptive polling against fixed intervals on one API token's budget (issue 14).

2,000 accounts x 5 connectors share one token with `rate_limit = 1150/5m`. 2 % of the accounts (40) have a
pending connector that turns `verified` at a random time; the benchmark measures the time from that flip to
the notification at the webhook receiver (p50, p99), and the API requests in every rate-limit window (the
largest count in any window-long span, sliding over the exact request times the simulator recorded), for:

  fixed     every account every `poll_interval`, the shortest whole-second interval that fits the budget
            (8m42s is the exact one; 9m with the time scale below)
  adaptive  `poll_interval = 1m`, `settled_poll_interval = 30m`

Real intervals would take hours, so every duration is divided by --scale (default 20): the rate-limit window
(5m -> 15 s), the intervals (1m -> 3 s, 30m -> 90 s, 9m -> 27 s), the simulator's own Cloudflare limit
(1200/5m -> 1200/15 s, enforced: a request beyond it gets a 429) and the flip windows. Latencies and window
counts are reported scaled back (x --scale). ssowatch's own processing time (milliseconds) is scaled up with
them, which slightly overstates both latencies.

Each mode runs on a fresh `ssowatch simulate` (all connectors `verified`) and a fresh state: --rounds rounds,
each turning one connector of 40 not yet used accounts `pending`, waiting until ssowatch has listed every one
of them (so it knows they are pending), then flipping each to `verified` at a uniformly random time within
--flip-window real seconds (scaled), and waiting for the notifications. Writes --results-file
(bench/results/adaptive.json; report.py folds it into BENCHMARKS.md) and rewrites BENCHMARKS.md unless
--no-report. Standard library only.
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True

import report
import run_bench

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

ACCOUNTS = 2000
CONNECTORS = 5
PENDING_SHARE = 0.02
RATE_LIMIT = 1150  # requests per WINDOW, for ssowatch
CLOUDFLARE_LIMIT = 1200  # what the simulated Cloudflare allows per WINDOW
WINDOW = 300  # seconds, real
POLL = 60  # adaptive poll_interval, real seconds
SETTLED = 1800  # adaptive settled_poll_interval, real seconds


def log(message):
    print(f"[adaptive {time.strftime('%H:%M:%S')}] {message}", flush=True)


def write_config(workdir, name, sim, scale, poll, settled):
    token = os.path.join(workdir, f"{name}.token")
    with open(token, "w") as handle:
        handle.write(sim.accounts[0]["token"] + "\n")
    os.chmod(token, 0o600)
    lines = [
        "[daemon]",
        f"state_file = {workdir}/{name}-state/state.json",
        f"api_base_url = {sim.base_url}",
        f"poll_interval = {poll}s",
        f"settled_poll_interval = {settled}s",
        f"rate_limit = {RATE_LIMIT}/{WINDOW // scale}s",
        "jitter = 10%",
        "log_level = notice",
        "dns_check = off",
        f"api_token_file = {token}",
        "",
        '[webhook "bench"]',
        "type = generic",
        f"url = {sim.receiver_url}",
        "events = verified",
        "",
    ]
    for index, account in enumerate(sim.accounts):
        lines += [f'[account "a{index}"]', f"account_id = {account['id']}", ""]
    path = os.path.join(workdir, f"{name}.ini")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    os.chmod(path, 0o600)
    return path


def wait_for(what, deadline, condition, every=0.25):
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)


def max_in_window(times, window):
    """The largest number of `times` (sorted) in any half-open span of `window` seconds."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def percentile(values, share):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def run_mode(binary, workdir, name, scale, poll, settled, rounds, flip_window, rng):
    sim = run_bench.Simulator(
        binary, ACCOUNTS, workdir, connectors=CONNECTORS, accounts_per_token=ACCOUNTS,
        extra=["--statuses", "verified", "--rate-limit", f"{CLOUDFLARE_LIMIT}/{WINDOW // scale}"],
        name=f"{name}-simulator")
    daemon = None
    try:
        config = write_config(workdir, name, sim, scale, poll, settled)
        os.makedirs(os.path.join(workdir, f"{name}-state"), exist_ok=True)
        check = subprocess.run([binary, "check-config", "--config", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(f"check-config failed: {check.stdout}{check.stderr}")
        budget = [line.strip() for line in check.stdout.splitlines() if "all pending:" in line]
        per_round = round(ACCOUNTS * PENDING_SHARE)
        order = rng.sample(range(ACCOUNTS), per_round * rounds)
        # The first round's connectors are pending from the start, as in the issue.
        first = [(sim.accounts[i]["id"], sim.accounts[i]["connectors"][0]) for i in order[:per_round]]
        for account, connector in first:
            sim.flip(account, connector, "pending")
        log(f"{name}: poll_interval {poll}s, settled_poll_interval {settled}s (scaled 1/{scale}); {budget}")
        started = time.monotonic()
        daemon = subprocess.Popen([binary, "run", "--config", config],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, f"{name}.log"), "w"))
        latencies, lost = [], 0
        received_after = 0
        for number in range(rounds):
            chosen = [(sim.accounts[i]["id"], sim.accounts[i]["connectors"][0])
                      for i in order[number * per_round:(number + 1) * per_round]]
            if number > 0:
                sim.call("POST", "reset")
                for account, connector in chosen:
                    sim.flip(account, connector, "pending")
            # ssowatch knows they are pending once it listed each after its flip (the first round: the first
            # cycle, spaced by the budget).
            cycle = ACCOUNTS * (WINDOW / scale) / RATE_LIMIT
            wait_for(f"round {number + 1}'s pending connectors listed", time.monotonic() + 3 * max(settled, cycle) + 60,
                     lambda: all(f["served_at"] is not None for f in sim.call("GET", "flips")["flips"]))
            sim.call("POST", "reset")
            offsets = sorted((rng.uniform(0, flip_window / scale), pair) for pair in chosen)
            begin = time.monotonic()
            for offset, (account, connector) in offsets:
                time.sleep(max(0.0, begin + offset - time.monotonic()))
                sim.flip(account, connector, "verified")
            flips = {f["connector"]: f["flipped_at"] for f in sim.call("GET", "flips")["flips"]}
            bound = time.monotonic() + 3 * max(poll, cycle) + 30

            def arrived():
                got = [r for r in sim.call("GET", f"received?after={received_after}")["received"]
                       if r["status"] == "verified" and r["connector"] in flips]
                return got if len({r["connector"] for r in got}) == len(flips) else None

            try:
                got = wait_for(f"round {number + 1}'s notifications", bound, arrived)
            except SystemExit:
                got = [r for r in sim.call("GET", f"received?after={received_after}")["received"]
                       if r["status"] == "verified" and r["connector"] in flips]
            first_arrival = {}
            for r in got:
                first_arrival.setdefault(r["connector"], r["received_at"])
                received_after = max(received_after, r["sequence"])
            lost += len(flips) - len(first_arrival)
            latencies += [(first_arrival[c] - flips[c]) * scale for c in first_arrival]
            log(f"{name}: round {number + 1}: {len(first_arrival)}/{len(flips)} notifications, "
                f"max {max(latencies) if latencies else 0:.0f} s so far (real)")
        wall = time.monotonic() - started
        daemon.terminate()
        daemon.wait(timeout=30)
        daemon = None
        times = sorted(sim.call("GET", "request-times")["times"])
        stats = sim.call("GET", "stats")
        window = WINDOW / scale
        span = times[-1] - times[0] if times else 0
        windows = max(1, int(span // window))
        return {
            "poll_interval_s": poll * scale,
            "settled_poll_interval_s": settled * scale,
            "check_config_budget": budget,
            "flips": len(latencies) + lost,
            "notifications_missing": lost,
            "latency_p50_s": round(percentile(latencies, 0.50), 1) if latencies else None,
            "latency_p99_s": round(percentile(latencies, 0.99), 1) if latencies else None,
            "latency_max_s": round(max(latencies), 1) if latencies else None,
            "latency_mean_s": round(sum(latencies) / len(latencies), 1) if latencies else None,
            "requests": len(times),
            "requests_max_per_window": max_in_window(times, window),
            "requests_mean_per_window": round(len(times) / (span / window), 1) if span else None,
            "full_windows": windows,
            "rate_limited_429": stats.get("rate_limited"),
            "wall_s": round(wall, 1),
        }
    finally:
        if daemon is not None:
            daemon.kill()
            daemon.wait()
        sim.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--scale", type=int, default=20, help="every duration divided by this (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of 40 flips per mode (default 3)")
    parser.add_argument("--flip-window", type=float, default=600,
                        help="real seconds over which a round's flips are spread (default 600)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--results-file", default=os.path.join(HERE, "results", "adaptive.json"))
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    if WINDOW % args.scale or POLL % args.scale or SETTLED % args.scale:
        raise SystemExit("--scale must divide 60 (the intervals must stay whole seconds)")
    binary = os.path.abspath(args.binary)
    workdir = tempfile.mkdtemp(prefix="ssowatch-adaptive-")
    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]
    # The shortest whole-second interval (scaled) that fits: ACCOUNTS requests within RATE_LIMIT per window.
    fixed = math.ceil(ACCOUNTS * (WINDOW / args.scale) / RATE_LIMIT)
    modes = {}
    try:
        modes["fixed"] = run_mode(binary, workdir, "fixed", args.scale, fixed, 0, args.rounds, args.flip_window, rng)
        log(f"fixed: {json.dumps(modes['fixed'])}")
        modes["adaptive"] = run_mode(binary, workdir, "adaptive", args.scale, POLL // args.scale,
                                     SETTLED // args.scale, args.rounds, args.flip_window, rng)
        log(f"adaptive: {json.dumps(modes['adaptive'])}")
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "accounts": ACCOUNTS,
        "connectors": CONNECTORS,
        "pending_share": PENDING_SHARE,
        "rate_limit": f"{RATE_LIMIT}/{WINDOW // 60}m",
        "cloudflare_limit": f"{CLOUDFLARE_LIMIT}/{WINDOW // 60}m",
        "exact_fixed_interval_s": round(ACCOUNTS * WINDOW / RATE_LIMIT, 1),
        "scale": args.scale,
        "rounds": args.rounds,
        "flip_window_s": args.flip_window,
        "seed": args.seed,
        "modes": modes,
        "load_before": round(load_before, 2),
    }
    report.save_results(result, args.results_file, binary, args.no_report, log)


if __name__ == "__main__":
    main()
