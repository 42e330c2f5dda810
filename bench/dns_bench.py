#!/usr/bin/env python3
"""`make bench-dns`: what checking 1,000 pending connectors' TXT records costs, measured from outside.

`ssowatch simulate --dns-zone bench.test` serves one account of --connectors pending connectors
(a0-cN.bench.test) and the zone's DNS on loopback: nameservers ns1/ns2.bench.test on 127.0.0.2 and 127.0.0.3 and
a resolver view on 127.0.0.1, all on one free port, with the record of every --present-every-th connector
published and the others missing. `ssowatch dns-check --json` then checks every connector (one list request, then
per connector the SOA walk, the NS set and the nameservers' addresses through the resolver, and the TXT record on
both nameservers; at most 8 connectors at once, DNSCheckRun.concurrency). Each of --runs runs is measured from
outside: wall time from just before exec to exit, CPU seconds (user + system, wait4), peak RSS (wait4's
ru_maxrss), and the peak number of open sockets (/proc/PID/fd links to `socket:`, sampled every --sample-ms ms),
with the DNS queries the simulator answered. The output must hold one result per connector with exactly the
published/missing split, or the benchmark fails.

Writes --results-file (bench/results/dns.json; report.py folds it into BENCHMARKS.md) and rewrites
BENCHMARKS.md unless --no-report. Standard library only.
"""

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True

import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ZONE = "bench.test"
DNS_CHECK_CONCURRENCY = 8  # Sources/SSOWatchDaemon/DNS/DNSCheckRun.swift
DAEMON_CONCURRENCY = 16  # Sources/SSOWatchDaemon/DNS/DNSCheckSchedule.swift


def log(message):
    print(f"[dns {time.strftime('%H:%M:%S')}] {message}", flush=True)


def start_simulator(binary, connectors, present_every, workdir, max_seconds):
    info_path = os.path.join(workdir, "simulate.json")
    process = subprocess.Popen(
        [binary, "simulate", "--accounts", "1", "--connectors", str(connectors), "--dns-zone", ZONE,
         "--dns-present-every", str(present_every), "--info-file", info_path, "--max-seconds", str(max_seconds)],
        stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, "simulate.log"), "w"), text=True)
    readable, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if readable else ""
    if not line:
        process.kill()
        raise SystemExit(f"the simulator printed no ready line within 60 s; see {workdir}/simulate.log")
    ready = json.loads(line)
    with open(info_path) as handle:
        ready["accounts"] = json.load(handle)["accounts"]
    for key in ("dns_port", "dns_resolver", "dns_records_present", "dns_records_missing"):
        if key not in ready:
            process.kill()
            raise SystemExit(f"the simulator's ready line has no {key}: {line.strip()}")
    return process, ready


def write_config(workdir, ready):
    account = ready["accounts"][0]
    token_path = os.path.join(workdir, "token")
    with open(token_path, "w") as handle:
        handle.write(account["token"] + "\n")
    os.chmod(token_path, 0o600)
    lines = [
        "[daemon]",
        f"api_base_url = {ready['base_url']}",
        f"state_file = {workdir}/state/state.json",
        "log_level = warning",
        f"dns_resolvers = {ready['dns_resolver']}",
        f"dns_port = {ready['dns_port']}",
        "dns_timeout = 3s",
        "",
        '[account "bench"]',
        f"account_id = {account['id']}",
        f"api_token_file = {token_path}",
        "",
    ]
    path = os.path.join(workdir, "ssowatch.ini")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    os.chmod(path, 0o600)
    return path


def dns_queries(ready):
    with urllib.request.urlopen(ready["control_url"] + "stats", timeout=10) as response:
        return json.load(response).get("dns_queries")


def open_sockets(pid):
    """(sockets, descriptors) open in `pid` now; (None, None) once it is gone."""
    directory = f"/proc/{pid}/fd"
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, ProcessLookupError):
        return None, None
    sockets = 0
    for name in names:
        try:
            if os.readlink(os.path.join(directory, name)).startswith("socket:"):
                sockets += 1
        except OSError:
            continue  # closed meanwhile
    return sockets, len(names)


def measure(binary, config, workdir, number, sample_seconds, timeout):
    """One `dns-check --json` run: its output and the figures measured from outside."""
    out_path = os.path.join(workdir, f"dns-check-{number}.json")
    err_path = os.path.join(workdir, f"dns-check-{number}.log")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        started = time.monotonic()
        process = subprocess.Popen([binary, "dns-check", "--json", "--config", config], stdout=out, stderr=err,
                                   env=dict(os.environ, SSOWATCH_CONFIG=config))
        peak_sockets = peak_fds = samples = 0
        timeline = []  # (seconds since exec, sockets), one per 100 ms
        while True:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                ended = time.monotonic()
                break
            now = time.monotonic()
            if now - started > timeout:
                process.kill()
                os.wait4(process.pid, 0)
                raise SystemExit(f"dns-check still running after {timeout} s; see {err_path}")
            sockets, fds = open_sockets(process.pid)
            if sockets is not None:
                samples += 1
                peak_sockets = max(peak_sockets, sockets)
                peak_fds = max(peak_fds, fds)
                if not timeline or now - started - timeline[-1][0] >= 0.1:
                    timeline.append((round(now - started, 2), sockets))
            time.sleep(sample_seconds)
    with open(out_path) as handle:
        output = handle.read()
    with open(err_path) as handle:
        stderr = handle.read()
    return {
        "exit_status": os.waitstatus_to_exitcode(status),
        "wall_s": round(ended - started, 3),
        "cpu_s": round(rusage.ru_utime + rusage.ru_stime, 3),
        "user_s": round(rusage.ru_utime, 3),
        "system_s": round(rusage.ru_stime, 3),
        "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
        "peak_sockets": peak_sockets,
        "peak_fds": peak_fds,
        "samples": samples,
        "sockets_timeline": timeline,
    }, output, stderr


def verify(run, output, stderr, ready, present_every):
    """Fails loudly unless the output has one result per connector with the published/missing split."""
    ids = ready["accounts"][0]["connectors"]
    expected = {cid: ("present" if present_every and index % present_every == 0 else "missing")
                for index, cid in enumerate(ids)}
    try:
        document = json.loads(output)
    except ValueError as error:
        raise SystemExit(f"dns-check printed no JSON ({error}); stderr: {stderr[-2000:]}")
    checked = document.get("checked", [])
    found = {item.get("connector"): (item.get("dns") or {}).get("result") for item in checked}
    results = {}
    for value in found.values():
        results[value] = results.get(value, 0) + 1
    problems = []
    if len(checked) != len(ids) or len(found) != len(ids):
        problems.append(f"{len(checked)} results for {len(ids)} connectors")
    if document.get("errors"):
        problems.append(f"errors: {document['errors']}")
    wrong = [(cid, want, found.get(cid)) for cid, want in expected.items() if found.get(cid) != want]
    if wrong:
        problems.append(f"{len(wrong)} connectors with another result than expected, e.g. {wrong[:5]}")
    if run["exit_status"] != (1 if "missing" in expected.values() else 0):
        problems.append(f"exit status {run['exit_status']}")
    if problems:
        raise SystemExit("dns-check did not check every connector as expected: " + "; ".join(problems)
                         + f"; results {results}; stderr: {stderr[-2000:]}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "ssowatch"))
    parser.add_argument("--connectors", type=int, default=1000)
    parser.add_argument("--present-every", type=int, default=2, help="publish every Nth record (2: half)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample-ms", type=float, default=2.0, help="how often open sockets are counted")
    parser.add_argument("--timeout", type=float, default=300, help="give up on a run after this many seconds")
    parser.add_argument("--results-file", default=os.path.join(HERE, "results", "dns.json"))
    parser.add_argument("--no-report", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = parser.parse_args()

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is missing: run `swift build -c release --product ssowatch` first")
    workdir = tempfile.mkdtemp(prefix="ssowatch-dns-bench-")
    load_before = os.getloadavg()[0]
    simulator, ready = start_simulator(binary, args.connectors, args.present_every, workdir,
                                       int(args.timeout * args.runs) + 120)
    try:
        config = write_config(workdir, ready)
        log(f"{args.connectors} pending connectors on {ZONE}, {ready['dns_records_present']} records published, "
            f"{ready['dns_records_missing']} missing; nameservers {ready['dns_nameservers']} port {ready['dns_port']}")
        runs = []
        for number in range(args.runs):
            queries_before = dns_queries(ready)
            run, output, stderr = measure(binary, config, workdir, number, args.sample_ms / 1000, args.timeout)
            run["results"] = verify(run, output, stderr, ready, args.present_every)
            run["dns_queries"] = dns_queries(ready) - queries_before
            run["load_average"] = round(os.getloadavg()[0], 2)
            run.pop("exit_status")
            runs.append(run)
            log(f"run {number + 1}: {run['wall_s']} s, CPU {run['cpu_s']} s, peak {run['peak_sockets']} sockets "
                f"({run['peak_fds']} descriptors), RSS {run['peak_rss_mb']} MB, {run['dns_queries']} DNS queries, "
                f"{run['results']}")
    finally:
        simulator.terminate()
        try:
            simulator.wait(timeout=15)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.wait()

    def median(key):
        return statistics.median(run[key] for run in runs)

    result = {
        "connectors": args.connectors,
        "present_every": args.present_every,
        "published": ready["dns_records_present"],
        "missing": ready["dns_records_missing"],
        "command": "ssowatch dns-check --json",
        "concurrency": DNS_CHECK_CONCURRENCY,
        "daemon_concurrency": DAEMON_CONCURRENCY,
        "dns_timeout_s": 3,
        "nameservers": len(ready["dns_nameservers"]),
        "sample_ms": args.sample_ms,
        "median": {key: median(key) for key in ("wall_s", "cpu_s", "user_s", "system_s", "peak_rss_mb",
                                                "peak_sockets", "peak_fds", "dns_queries")},
        "results": runs[-1]["results"],
        "runs": runs,
        "load_before": round(load_before, 2),
    }
    log(f"median of {len(runs)}: " + json.dumps(result["median"]))
    report.save_results(result, args.results_file, binary, args.no_report, log)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
