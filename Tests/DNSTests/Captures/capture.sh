#!/usr/bin/env bash
# Captures the real-server packets pasted into Tests/DNSTests/CapturedPacketTests.swift.
# Needs Debian's nsd (`apt-get install nsd`); the tests themselves only use the pasted hex.
#
#   Tests/DNSTests/Captures/capture.sh > /tmp/captures.txt
#
# Serves example.test.zone with nsd on 127.0.0.1:PORT (default 53530), then capture.py sends each
# query over UDP (and TCP for the truncated answer) and prints query and answer as hex.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${PORT:-53530}"
WORK="$(mktemp -d)"
trap 'kill "$(cat "$WORK/nsd.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cp "$HERE/example.test.zone" "$WORK/"
cat > "$WORK/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$PORT
    do-ip6: no
    zonesdir: "$WORK"
    pidfile: "$WORK/nsd.pid"
    database: ""
    zonelistfile: "$WORK/zone.list"
    xfrdfile: "$WORK/xfrd.state"
    xfrdir: "$WORK"
    username: ""
    chroot: ""
    logfile: "$WORK/nsd.log"
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: example.test
    zonefile: example.test.zone
CONF
nsd -c "$WORK/nsd.conf"
for _ in $(seq 50); do [ -s "$WORK/nsd.pid" ] && break; sleep 0.1; done
sleep 0.5
python3 "$HERE/capture.py" 127.0.0.1 "$PORT"
