"""Measuring a child process from outside: /proc, wait4's rusage, and a NOTIFY_SOCKET. Standard library only."""

import os
import signal
import socket
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET; records (monotonic time, message)."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            with self.cond:
                self.messages.append((now, data.decode("utf-8", "replace")))
                self.cond.notify_all()

    def wait_for(self, needle, after, timeout):
        """The monotonic time of the first message containing `needle` received after `after`, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for when, text in self.messages:
                    if when >= after and needle in text.split("\n"):
                        return when
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def count(self, needle, after):
        with self.cond:
            return sum(1 for when, text in self.messages if when >= after and needle in text.split("\n"))

    def close(self):
        self.closed = True
        self.thread.join(timeout=2)
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads, living and exited), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss_kb(pid):
    return status_kb(pid, "VmRSS")


def hwm_kb(pid):
    return status_kb(pid, "VmHWM")


def context_switches(pid):
    """(voluntary + involuntary context switches summed over every thread, thread count)."""
    total = 0
    threads = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0, 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
            threads += 1
        except FileNotFoundError:
            continue  # the thread exited meanwhile
    return total, threads


def context_switches_by_thread(pid):
    """{thread id: (name, voluntary + involuntary context switches)}."""
    result = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return result
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            count = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        count += int(line.split()[1])
            result[tid] = (name, count)
        except FileNotFoundError:
            continue
    return result


def stop(proc, timeout=10):
    """SIGTERM, then SIGKILL after `timeout`; reaps with wait4. Returns (exit status, rusage or None)."""
    if proc.returncode is not None:
        return proc.returncode, None
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:  # already reaped
            return proc.poll(), None
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage
        if time.monotonic() > deadline:
            proc.kill()
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage
        time.sleep(0.02)


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]
