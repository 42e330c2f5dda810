#!/usr/bin/env python3
"""`make bench-drain`: how much ssowatch writes to its state directory, and how long it takes, to deliver a
long queue of notifications (the outbox after a webhook outage, or `notify_on_first_seen` with many
verified connectors).

`ssowatch simulate` serves --accounts x --connectors connectors (one account of 20,000 by default), all
`verified`, and a webhook receiver on 127.0.0.1. ssowatch runs with `notify_on_first_seen = true` and one
`generic` webhook: its baseline queues one notification per connector, which it then delivers one by one,
each delivery recorded in the state before the next starts. One account polled once an hour: the baseline
is the first poll, and no later poll rewrites the account while the queue drains, so the figures are the
drain's alone. Measured from outside: the time from READY=1 to the last delivery recorded
(outbox empty), the bytes the daemon wrote to storage (/proc/PID/io write_bytes: the state file, its journal
and everything they fsync), the journal's largest size, CPU time and peak RSS.

Prints one JSON object; with --results-file also writes it there (report.py folds it into BENCHMARKS.md).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True

import procstat


def log(message):
    print(f"[drain {time.strftime('%H:%M:%S')}] {message}", flush=True)


def read_io(pid):
    values = {}
    with open(f"/proc/{pid}/io") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            values[key.strip()] = int(value)
    return values


def stats(control_url):
    with urllib.request.urlopen(control_url + "stats", timeout=10) as response:
        return json.load(response)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--accounts", type=int, default=1)
    parser.add_argument("--connectors", type=int, default=20000)
    parser.add_argument("--simulator-binary", help="the ssowatch that runs `simulate` (default: --binary)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    parser.add_argument("--results-file")
    args = parser.parse_args()
    expected = args.accounts * args.connectors

    work = tempfile.mkdtemp(prefix="ssowatch-drain-", dir=os.environ.get("DRAIN_DIR", "/var/tmp"))
    info_path = os.path.join(work, "simulate.json")
    simulator = subprocess.Popen(
        [args.simulator_binary or args.binary, "simulate", "--accounts", str(args.accounts), "--connectors", str(args.connectors),
         "--statuses", "verified", "--info-file", info_path, "--max-seconds", str(int(args.timeout) + 120)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    daemon = None
    notify = None
    try:
        ready = json.loads(simulator.stdout.readline())
        with open(info_path) as handle:
            info = json.load(handle)
        state_dir = os.path.join(work, "state")
        lines = ["[daemon]", f"api_base_url = {ready['base_url']}", f"state_file = {state_dir}/state.json",
                 "poll_interval = 1h", "jitter = 0", "dns_check = off", "notify_on_first_seen = true", "rate_limit = 100000/5m",
                 "log_level = warning"]
        for index, account in enumerate(info["accounts"]):
            lines += [f'[account "a{index}"]', f"account_id = {account['id']}", f"api_token = {account['token']}"]
        lines += ['[webhook "audit"]', "type = generic", f"url = {ready['receiver_url']}", "events = all"]
        config = os.path.join(work, "ssowatch.ini")
        with open(config, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.chmod(config, 0o600)

        notify = procstat.NotifySocket(os.path.join(work, "notify.sock"))
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        started = time.monotonic()
        daemon = subprocess.Popen([args.binary, "run", "--config", config], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if notify.wait_for("READY=1", started, 60) is None:
            raise SystemExit("no READY=1 within 60 s")
        ready_at = time.monotonic()
        journal = os.path.join(state_dir, "state.json.journal")
        largest_journal = 0
        peak_rss_kb = 0
        received = 0
        deadline = ready_at + args.timeout
        while time.monotonic() < deadline:
            received = stats(ready["control_url"])["received"]
            try:
                largest_journal = max(largest_journal, os.path.getsize(journal))
            except OSError:
                pass
            peak_rss_kb = max(peak_rss_kb, procstat.hwm_kb(daemon.pid) or 0)
            if received >= expected:
                break
            time.sleep(0.5)
        delivered_at = time.monotonic()
        if received < expected:
            raise SystemExit(f"only {received} of {expected} notifications arrived within {args.timeout} s")
        # The last delivery is recorded right after its answer; STATUS= then says 0 queued.
        while time.monotonic() < delivered_at + 30:
            lines = [text for _, text in notify.messages if "STATUS=" in text]
            if lines and "; 0 notifications queued" in lines[-1]:
                break
            time.sleep(0.2)
        drained_at = time.monotonic()
        io = read_io(daemon.pid)
        cpu = procstat.cpu_seconds(daemon.pid)
        result = {
            "notifications": expected,
            "received": received,
            "seconds_ready_to_drained": round(drained_at - ready_at, 1),
            "written_bytes": io.get("write_bytes", 0),
            "written_mb": round(io.get("write_bytes", 0) / 1e6, 1),
            "write_syscall_bytes_mb": round(io.get("wchar", 0) / 1e6, 1),
            "largest_journal_mb": round(largest_journal / 1e6, 1),
            "cpu_seconds": round(cpu, 1) if cpu is not None else None,
            "peak_rss_mb": round(peak_rss_kb / 1024, 1),
        }
        log(json.dumps(result))
        if args.results_file:
            with open(args.results_file, "w") as handle:
                json.dump(result, handle, indent=2)
        print(json.dumps(result))
    finally:
        for process in (daemon, simulator):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        if notify:
            notify.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
