#!/usr/bin/env python3
"""The reference a user would write instead of ssowatch: a small poller on Cloudflare's official Python
SDK (`cloudflare` on PyPI) that lists each account's SSO connectors on an interval, compares their
verification statuses with the previous list, and posts ssowatch's generic webhook body with `requests`
when a domain becomes verified or failed.

It does what ssowatch's polling does, minus what a short script leaves out: no state file (state lives in
memory), no retries or backoff beyond the SDK's own, no rate budget, no outbox. Run by bench/run_bench.py
inside bench/.venv:

    python_poller.py CONFIG.json

CONFIG.json: {"base_url", "webhook_url", "interval", "max_seconds",
              "accounts": [{"name", "id", "token"}, ...]}

When NOTIFY_SOCKET is set it sends READY=1 once the SDK is imported and the clients are built, like
ssowatch's sd_notify, so both start-up times are measured the same way.
"""

import heapq
import json
import os
import secrets
import signal
import socket
import sys
import time
from datetime import datetime, timezone

import cloudflare
import requests

NOTIFIED = ("verified", "failed")


def notify_ready():
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.sendto(b"READY=1", path)
    finally:
        sock.close()


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_body(account, connector, previous, previous_since, now):
    status = connector.verification.status
    code = connector.verification.code
    return {
        "type": f"connector.{status}",
        "timestamp": iso(now),
        "data": {
            "account": {"name": account["name"], "id": account["id"]},
            "connector": {"id": connector.id, "email_domain": connector.email_domain, "enabled": connector.enabled},
            "status": status,
            "previous_status": previous,
            "previous_status_since": iso(previous_since) if previous_since else None,
            "verification_code": code,
            "dns_record": {"type": "TXT", "name": connector.email_domain, "value": code} if code else None,
        },
    }


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    interval = float(config["interval"])
    deadline = time.monotonic() + float(config.get("max_seconds", 3600))
    clients = {}
    for account in config["accounts"]:
        if account["token"] not in clients:
            clients[account["token"]] = cloudflare.Cloudflare(api_token=account["token"], base_url=config["base_url"])
    session = requests.Session()
    session.headers["User-Agent"] = "bench-python-poller/1"
    known = {}  # account id -> {connector id: (status, since)}
    accounts = config["accounts"]
    start = time.monotonic()
    # Accounts spread over one interval, as ssowatch staggers them.
    due = [(start + interval * i / len(accounts), i) for i in range(len(accounts))]
    heapq.heapify(due)
    notify_ready()

    while due:
        when, index = heapq.heappop(due)
        now = time.monotonic()
        if now >= deadline:
            break
        if when > now:
            time.sleep(when - now)
        account = accounts[index]
        heapq.heappush(due, (max(when + interval, time.monotonic()), index))
        try:
            page = clients[account["token"]].iam.sso.list(account_id=account["id"])
        except cloudflare.APIError as error:
            print(f"poll failed: {account['name']}: {error}", file=sys.stderr)
            continue
        wall = time.time()
        previous = known.get(account["id"])
        current = {}
        for connector in page:
            if not connector.id:
                continue
            status = connector.verification.status if connector.verification else None
            old = previous.get(connector.id) if previous is not None else None
            if old is None:  # first sighting: recorded silently
                current[connector.id] = (status, wall)
                continue
            if status is None or status == old[0]:  # unchanged, or no status to compare
                current[connector.id] = old
                continue
            current[connector.id] = (status, wall)
            if status in NOTIFIED:
                body = event_body(account, connector, old[0], old[1], wall)
                headers = {"webhook-id": "evt_" + secrets.token_hex(16), "webhook-timestamp": str(int(wall))}
                try:
                    session.post(config["webhook_url"], json=body, headers=headers, timeout=15).raise_for_status()
                except requests.RequestException as error:
                    print(f"delivery failed: {error}", file=sys.stderr)
        known[account["id"]] = current


if __name__ == "__main__":
    main()
