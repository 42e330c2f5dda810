#!/usr/bin/env python3
"""`make bench`: ssowatch against a small Python poller on Cloudflare's official SDK, both polling the same
simulated Cloudflare API (`ssowatch simulate`, its own process) on 127.0.0.1, measured from outside.

Phases (the two pollers alternate in every phase; each figure is measured the same way for both):
  idle     one account at a 5-minute interval, started first and left alone while the rest runs:
           context switches of all its threads over --idle-seconds = wake-ups
  sizes    for each size (default 100 and 1,000 accounts x 10 connectors; BENCH_LARGE=1 adds 10,000), one
           run per poller: start (READY=1 time), the first cycle (every account polled once, its silent
           baseline written; timed, bounded), a CPU/RSS window of steady polling, then status flips through the
           simulator's control API and the notifications' latency
  ready    restarts of each poller on the 1,000-account configuration (ssowatch with the state file of its
           run), time from exec to READY=1 on NOTIFY_SOCKET

Results go to bench/results/*.json and BENCHMARKS.md is regenerated from them (see report.py).
Standard library only; the Python poller runs in bench/.venv, created here.
"""

import argparse
import json
import os
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True  # no bench/__pycache__ beside the scripts

import procstat
import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
PINS = ["cloudflare==5.9.0", "requests==2.34.2"]
CONNECTORS = 10
ACCOUNTS_PER_TOKEN = 10
POLLS_PER_SECOND = 100  # every size polls at the same rate: interval = accounts / 100 s (at least 1 s)


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# MARK: setup


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    probe = "import cloudflare, requests; print(cloudflare.__version__, requests.__version__)"
    wanted = " ".join(pin.split("==")[1] for pin in PINS)
    if os.path.exists(python):
        found = subprocess.run([python, "-c", probe], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == wanted:
            return python
    log(f"creating {VENV} with {' '.join(PINS)}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", *PINS], check=True)
    return python


def machine_info(binary, python):
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:
            return "?"

    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "swift": run(["swift", "--version"]).splitlines()[0] if run(["swift", "--version"]) else "?",
        "ssowatch": run([binary, "--version"]),
        "python": run([python, "--version"]),
        "sdk": run([python, "-c", "import cloudflare, requests; print(cloudflare.__version__, requests.__version__)"]),
    }


class Simulator:
    """`ssowatch simulate` in its own process, with its control API."""

    def __init__(self, binary, accounts, workdir, connectors=CONNECTORS, accounts_per_token=ACCOUNTS_PER_TOKEN,
                 extra=(), name="simulator"):
        """`extra`: more `ssowatch simulate` options; `name` names its files in `workdir`."""
        info_file = os.path.join(workdir, f"{name}.json")
        self.log = os.path.join(workdir, f"{name}.log")
        self.proc = subprocess.Popen(
            [binary, "simulate", "--accounts", str(accounts), "--connectors", str(connectors),
             "--accounts-per-token", str(accounts_per_token), "--info-file", info_file, "--max-seconds", "3600",
             *extra],
            stdout=subprocess.PIPE, stderr=open(self.log, "w"))
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)
        if not ready:
            raise SystemExit("the simulator did not start within 120 s")
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the simulator exited: see {self.log}")
        with open(info_file) as f:
            info = json.load(f)
        self.base_url = info["base_url"]
        self.receiver_url = info["receiver_url"]
        self.control = info["control_url"]
        self.accounts = info["accounts"]
        self.status = {}  # (account, connector) -> status, as flipped (all start "pending")

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.control + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except OSError as error:
            status = self.proc.poll()
            state = "still running" if status is None else f"exited with status {status}"
            raise SystemExit(f"the simulator's control API failed ({error}); the simulator {state}, "
                             f"see {self.log}") from error

    def flip(self, account, connector, new=None):
        """Sets the connector's status: `new`, else verified and failed in turn (all start pending)."""
        current = self.status.get((account, connector), "pending")
        new = new or ("failed" if current == "verified" else "verified")
        self.status[(account, connector)] = new
        self.call("POST", "flip", {"account": account, "connector": connector, "status": new})

    def stop(self):
        procstat.stop(self.proc)


# MARK: the two pollers


def write_token_files(workdir, accounts):
    directory = os.path.join(workdir, "tokens")
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for account in accounts:
        token = account["token"]
        if token not in paths:
            path = os.path.join(directory, f"t{len(paths)}")
            with open(path, "w") as f:
                f.write(token + "\n")
            os.chmod(path, 0o600)
            paths[token] = path
    return paths


def ssowatch_config(workdir, name, sim, accounts, interval, state_dir):
    tokens = write_token_files(workdir, accounts)
    lines = [
        "[daemon]",
        f"state_file = {state_dir}/state.json",
        f"poll_interval = {interval}s",
        "settled_poll_interval = 0",  # the same interval for every account, as the Python poller
        "jitter = 0",
        f"api_base_url = {sim.base_url}",
        "request_timeout = 30s",
        "rate_limit = 1000000/5m",
        "max_concurrent_requests = 8",
        "log_level = info",
        "dns_check = off",
        "",
        '[webhook "bench"]',
        "type = generic",
        f"url = {sim.receiver_url}",
        "events = verified, failed",
        "",
    ]
    for index, account in enumerate(accounts):
        lines += [f'[account "a{index}"]', f"account_id = {account['id']}",
                  f"api_token_file = {tokens[account['token']]}", ""]
    path = os.path.join(workdir, f"{name}.ini")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def python_config(workdir, name, sim, accounts, interval):
    path = os.path.join(workdir, f"{name}.json")
    with open(path, "w") as f:
        json.dump({"base_url": sim.base_url, "webhook_url": sim.receiver_url, "interval": interval,
                   "max_seconds": 3600,
                   "accounts": [{"name": f"a{i}", "id": a["id"], "token": a["token"]}
                                for i, a in enumerate(accounts)]}, f)
    return path


class Poller:
    """One running poller (ssowatch or the Python one) with its NOTIFY_SOCKET."""

    def __init__(self, kind, command, workdir, name, extra_env=None):
        self.kind = kind
        self.notify = procstat.NotifySocket(os.path.join(workdir, f"{name}.sock"))
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        env.update(extra_env or {})
        self.stderr_path = os.path.join(workdir, f"{name}.log")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.stderr_path, "w"))
        self.pid = self.proc.pid
        self.ready_ms = None
        self.rusage = None

    def wait_ready(self, timeout=60):
        when = self.notify.wait_for("READY=1", self.started, timeout)
        if when is None:
            self.finish()
            raise SystemExit(f"{self.kind} sent no READY=1 within {timeout} s; see {self.stderr_path}")
        self.ready_ms = (when - self.started) * 1000
        return self.ready_ms

    def finish(self):
        hwm = procstat.hwm_kb(self.pid) if self.proc.returncode is None else None
        status, self.rusage = procstat.stop(self.proc)
        self.notify.close()
        return hwm, status


def start_poller(kind, binary, python, workdir, name, sim, accounts, interval, state_dir=None, extra_env=None):
    if kind == "ssowatch":
        state_dir = state_dir or os.path.join(workdir, f"{name}-state")
        config = ssowatch_config(workdir, name, sim, accounts, interval, state_dir)
        command = [binary, "run", "--config", config]
    else:
        command = [python, os.path.join(HERE, "python_poller.py"), python_config(workdir, name, sim, accounts, interval)]
    return Poller(kind, command, workdir, name, extra_env)


# MARK: phases


def size_plan(size):
    interval = max(1, size // POLLS_PER_SECOND)
    return {
        "interval": interval,
        "warmup": interval + 3,  # the baseline cycle: every account polled once, silently
        "baseline_limit": max(60, 3 * interval),  # longest wait for that first cycle
        "window": min(60, max(10, 2 * interval)),
        "flips": min(100, size // 2),
        "flip_rate": 10.0,
        "drain": interval + 5,
    }


def load_run(kind, binary, python, workdir, sim, size, plan, rng):
    name = f"{kind}-{size}"
    accounts = sim.accounts[:size]
    poller = start_poller(kind, binary, python, workdir, name, sim, accounts, plan["interval"])
    result = {"kind": kind, "accounts": size, "connectors": size * CONNECTORS, "interval_s": plan["interval"]}
    try:
        lists_start = sim.call("GET", "stats")["list_requests"]
        result["ready_ms"] = poller.wait_ready()
        # The first cycle: every account polled once (its baseline written), bounded in time.
        first_cycle_deadline = time.monotonic() + plan["baseline_limit"]
        while time.monotonic() < first_cycle_deadline:
            if sim.call("GET", "stats")["list_requests"] - lists_start >= size:
                break
            time.sleep(0.5)
        result["first_cycle_s"] = round(time.monotonic() - poller.started, 1)
        result["first_cycle_done"] = sim.call("GET", "stats")["list_requests"] - lists_start >= size
        time.sleep(3)

        # Steady polling: CPU per check and RSS.
        lists0 = sim.call("GET", "stats")["list_requests"]
        cpu0 = procstat.cpu_seconds(poller.pid)
        t0 = time.monotonic()
        rss, anon, file_backed = [], [], []
        while time.monotonic() - t0 < plan["window"]:
            rss.append(procstat.rss_kb(poller.pid))
            anon.append(procstat.status_kb(poller.pid, "RssAnon"))
            file_backed.append(procstat.status_kb(poller.pid, "RssFile"))
            time.sleep(0.5)
        cpu1 = procstat.cpu_seconds(poller.pid)
        elapsed = time.monotonic() - t0
        lists = sim.call("GET", "stats")["list_requests"] - lists0
        checks = lists * CONNECTORS
        result.update({
            "window_s": round(elapsed, 2),
            "polls": lists,
            "polls_per_s": round(lists / elapsed, 1),
            "polls_per_s_wanted": round(size / plan["interval"], 1),
            "checks": checks,
            "cpu_s": round(cpu1 - cpu0, 3),
            "cpu_s_per_1000_checks": round((cpu1 - cpu0) / checks * 1000, 5) if checks else None,
            "cpu_share_of_core": round((cpu1 - cpu0) / elapsed, 4),
            "rss_steady_kb": int(statistics.median(rss)),
            "rss_anon_steady_kb": int(statistics.median(anon)),
            "rss_file_steady_kb": int(statistics.median(file_backed)),
        })

        # Flips: one connector of distinct accounts (never account 0, which the idle pollers use).
        sim.call("POST", "reset")
        received_before = sim.call("GET", "stats")["received"]
        picks = rng.sample(range(1, size), plan["flips"])
        t_flip = time.monotonic()
        for number, index in enumerate(picks):
            target = t_flip + number / plan["flip_rate"]
            pause = target - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            account = accounts[index]
            sim.flip(account["id"], rng.choice(account["connectors"]))
        deadline = time.monotonic() + plan["drain"]
        while time.monotonic() < deadline:
            if sim.call("GET", "stats")["received"] - received_before >= len(picks):
                break
            time.sleep(0.25)
        result.update(latency(sim))
        result["rss_peak_kb"], result["exit_status"] = poller.finish()
    finally:
        if poller.proc.returncode is None:
            poller.finish()
    usage = poller.rusage
    if usage is not None:
        result["rusage_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
        result["rusage_maxrss_kb"] = usage.ru_maxrss
    return result


def latency(sim):
    flips = sim.call("GET", "flips")["flips"]
    received = sim.call("GET", "received")["received"]
    arrivals = {}
    for item in received:
        arrivals.setdefault((item["connector"], item["status"]), []).append(item["received_at"])
    after, raw, missing = [], [], 0
    for flip in flips:
        times = [t for t in arrivals.get((flip["connector"], flip["status"]), []) if t >= flip["flipped_at"]]
        if not times or flip["served_at"] is None:
            missing += 1
            continue
        arrival = min(times)
        after.append((arrival - flip["served_at"]) * 1000)
        raw.append((arrival - flip["flipped_at"]) * 1000)
    out = {"flips": len(flips), "notified": len(after), "missing": missing}
    if after:
        out.update({
            "latency_p50_ms": round(procstat.percentile(after, 50), 2),
            "latency_p99_ms": round(procstat.percentile(after, 99), 2),
            "latency_max_ms": round(max(after), 2),
            "raw_p50_ms": round(procstat.percentile(raw, 50), 1),
            "raw_p99_ms": round(procstat.percentile(raw, 99), 1),
        })
    return out


def ready_runs(binary, python, workdir, sim, size, interval, repeats):
    """Restarts on the `size`-account configuration; ssowatch keeps the state file of its load run."""
    accounts = sim.accounts[:size]
    times = {"ssowatch": [], "python": []}
    for attempt in range(repeats):
        for kind in ("ssowatch", "python"):
            state_dir = os.path.join(workdir, f"ssowatch-{size}-state") if kind == "ssowatch" else None
            poller = start_poller(kind, binary, python, workdir, f"ready-{kind}-{attempt}", sim, accounts,
                                  interval, state_dir=state_dir)
            try:
                times[kind].append(poller.wait_ready())
            finally:
                poller.finish()
    state_path = os.path.join(workdir, f"ssowatch-{size}-state", "state.json")
    state_bytes = os.path.getsize(state_path) if os.path.exists(state_path) else 0
    return {kind: {"ready_ms_median": round(statistics.median(v), 1), "ready_ms_min": round(min(v), 1),
                   "ready_ms_max": round(max(v), 1), "runs": [round(x, 1) for x in v]}
            for kind, v in times.items()} | {"accounts": size, "state_file_bytes": state_bytes}


class IdleRun:
    """One account at a 5-minute interval; its wake-ups are counted after it settles."""

    SETTLE = 10  # the first poll happens at start; its state write follows within 5 s

    def __init__(self, kind, binary, python, workdir, sim, label, extra_env=None):
        self.kind = kind
        self.label = label
        self.poller = start_poller(kind, binary, python, workdir, f"idle-{label}", sim, sim.accounts[:1], 300,
                                   extra_env=extra_env)
        self.ready_ms = self.poller.wait_ready()
        self.t0 = None
        self.c0 = None

    def begin(self):
        self.t0 = time.monotonic()
        self.c0, self.threads = procstat.context_switches(self.poller.pid)
        self.by_thread0 = procstat.context_switches_by_thread(self.poller.pid)
        self.notify_mark = time.monotonic()

    def end(self):
        elapsed = time.monotonic() - self.t0
        c1, threads = procstat.context_switches(self.poller.pid)
        by_thread = {}
        for tid, (name, count) in procstat.context_switches_by_thread(self.poller.pid).items():
            before = self.by_thread0.get(tid, (name, 0))[1]
            key = f"{name} ({tid})"
            by_thread[key] = round((count - before) / elapsed * 60, 2)
        watchdog = self.poller.notify.count("WATCHDOG=1", self.notify_mark)
        rss = procstat.rss_kb(self.poller.pid)
        rss_anon = procstat.status_kb(self.poller.pid, "RssAnon")
        self.poller.finish()
        return {"kind": self.kind, "label": self.label, "seconds": round(elapsed, 1),
                "ready_ms": round(self.ready_ms, 1), "rss_anon_kb": rss_anon,
                "context_switches": c1 - self.c0, "wakeups_per_min": round((c1 - self.c0) / elapsed * 60, 2),
                "threads": threads, "watchdog_pings": watchdog, "rss_kb": rss,
                "wakeups_per_min_by_thread": dict(sorted(by_thread.items(), key=lambda kv: -kv[1]))}


# MARK: main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "ssowatch"))
    large = os.environ.get("BENCH_LARGE", "") not in ("", "0")
    parser.add_argument("--sizes", default="100,1000,10000" if large else "100,1000",
                        help="account counts, comma-separated (BENCH_LARGE=1 adds 10000)")
    parser.add_argument("--idle-seconds", type=float, default=120, help="length of the idle wake-up window")
    parser.add_argument("--ready-repeats", type=int, default=5)
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--skip-ready", action="store_true")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite BENCHMARKS.md")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    began = time.monotonic()
    load_before = os.getloadavg()[0]
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is missing: run `swift build -c release --product ssowatch` first")
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    python = ensure_venv()
    workdir = tempfile.mkdtemp(prefix="ssowatch-bench-")
    results_dir = os.path.join(HERE, "results")
    os.makedirs(results_dir, exist_ok=True)
    rng = random.Random(args.seed)
    log(f"work directory {workdir}; sizes {sizes}")
    sim = Simulator(binary, max(sizes), workdir)
    idle = []
    try:
        if not args.skip_idle:
            log(f"idle: one account at 5m, {args.idle_seconds:.0f} s window, left running beside the other phases")
            idle = [IdleRun("ssowatch", binary, python, workdir, sim, "ssowatch"),
                    IdleRun("ssowatch", binary, python, workdir, sim, "ssowatch-watchdog",
                            extra_env={"WATCHDOG_USEC": "60000000"}),
                    IdleRun("python", binary, python, workdir, sim, "python")]
            time.sleep(IdleRun.SETTLE)
            for run in idle:
                run.begin()

        for size in sizes:
            plan = size_plan(size)
            runs = []
            for kind in ("ssowatch", "python"):
                log(f"{size} accounts x {CONNECTORS}: {kind}, interval {plan['interval']} s")
                runs.append(load_run(kind, binary, python, workdir, sim, size, plan, rng))
                r = runs[-1]
                log(f"  {r.get('cpu_s_per_1000_checks')} CPU s/1000 checks, {r.get('polls_per_s')} polls/s, "
                    f"RSS {r.get('rss_steady_kb')}/{r.get('rss_peak_kb')} kB, p50/p99 after response "
                    f"{r.get('latency_p50_ms')}/{r.get('latency_p99_ms')} ms, {r.get('notified')}/{r.get('flips')}")
            with open(os.path.join(results_dir, f"size-{size}.json"), "w") as f:
                json.dump({"plan": plan, "runs": runs, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "load_average": round(os.getloadavg()[0], 2)},
                          f, indent=2)

        main_results = {}
        if not args.skip_ready and 1000 in sizes:
            log(f"READY=1: {args.ready_repeats} restarts each on 1,000 accounts")
            main_results["ready"] = ready_runs(binary, python, workdir, sim, 1000, size_plan(1000)["interval"],
                                               args.ready_repeats)
        if idle:
            wait = idle[0].t0 + args.idle_seconds - time.monotonic()
            if wait > 0:
                log(f"idle: {wait:.0f} s left in the window")
                time.sleep(wait)
            main_results["idle"] = [run.end() for run in idle]
            idle = []
        if main_results:
            main_results["machine"] = machine_info(binary, python)
            main_results["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            main_results["bench_seconds"] = round(time.monotonic() - began, 1)
            main_results["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            with open(os.path.join(results_dir, "main.json"), "w") as f:
                json.dump(main_results, f, indent=2)
    finally:
        for run in idle:
            run.poller.finish()
        sim.stop()
    if not args.no_report:
        path = report.write(results_dir, os.path.join(ROOT, "BENCHMARKS.md"))
        log(f"wrote {path}")
    shutil.rmtree(workdir, ignore_errors=True)
    log(f"done in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
