#!/usr/bin/env bash
# The checks of `make system-test`, run by run.sh inside the booted container (root, systemd as
# PID 1, its own loopback): install the .deb, then drive ssowatch with systemctl and read the
# results with systemctl show and journalctl. The simulated Cloudflare API and webhook receiver
# (`ssowatch simulate`, with its /__sim/ control API) run as a transient unit beside it.
# Prints one PASS:/FAIL: line per check; run.sh counts them. Every wait has a deadline.
#
# Usage (inside the container): checks.sh /PATH/TO/ssowatch_VERSION_ARCH.deb
set -uo pipefail

deb=$1
unit=ssowatch.service
ini=/etc/ssowatch/ssowatch.ini
dropin=/etc/systemd/system/ssowatch.service.d/50-system-test.conf
api_port=18080
receiver_port=18081
sim=http://127.0.0.1:$api_port

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: PASS or FAIL by the command's status.
check() {
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}
prop() { systemctl show -P "$1" "$unit"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_until SECONDS COMMAND...: polls every 0.2 s; status 1 once the deadline passes.
wait_until() {
    local deadline=$(($(now_ms) + $1 * 1000))
    shift
    until "$@"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
# A journal position, so later greps see only what happened after it.
mark() { journalctl -n 1 --show-cursor -q -o cat | sed -n 's/^-- cursor: //p'; }
journal_since() { journalctl -q --no-pager -o cat --after-cursor="$1" "${@:2}"; }
journal_has() { journal_since "$1" -u "$unit" | grep -q -- "$2"; }
is_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
status_has() { prop StatusText | grep -q -- "$1"; }
show_state() { echo "    state: $(prop ActiveState)/$(prop SubState) result=$(prop Result) main=$(prop MainPID)" \
    "exit=$(prop ExecMainStatus) restarts=$(prop NRestarts) status='$(prop StatusText)'"; }

# --- the package -----------------------------------------------------------------------------------

if dpkg -i "$deb" >/tmp/dpkg-install.log 2>&1; then
    pass "dpkg -i installs $(basename "$deb") (dependencies met by a minimal Debian 12)"
else
    fail "dpkg -i $(basename "$deb"):"
    sed 's/^/    /' /tmp/dpkg-install.log
    exit 1
fi
check "installing neither enables nor starts ssowatch (is-enabled $(systemctl is-enabled "$unit" 2>&1), is-active $(systemctl is-active "$unit" 2>&1))" \
    test "$(systemctl is-enabled "$unit" 2>&1)/$(systemctl is-active "$unit" 2>&1)" = disabled/inactive
check "/etc/ssowatch/ssowatch.ini is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' ssowatch | grep -q ' /etc/ssowatch/ssowatch.ini '"
verify=$(systemd-analyze verify "$unit" 2>&1)
check "systemd-analyze verify on the installed unit (real binary path) is clean${verify:+: $verify}" test -z "$verify"
exposure=$(systemd-analyze security "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
check "systemd-analyze security on the loaded unit: exposure ${exposure:-?} (at most 1.1)" \
    awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 1.1) }'

# --- the simulator ---------------------------------------------------------------------------------

info=/run/ssowatch-sim.json
systemd-run --quiet --unit=ssowatch-sim --property=Type=exec /usr/bin/ssowatch simulate \
    --accounts 2 --connectors 3 --accounts-per-token 2 --port "$api_port" --receiver-port "$receiver_port" \
    --info-file "$info" --max-seconds 900
if ! wait_until 20 test -s "$info"; then
    fail "ssowatch simulate did not start:"
    journalctl -q --no-pager -u ssowatch-sim | tail -20 | sed 's/^/    /'
    exit 1
fi
base_url=$(jq -r .base_url "$info")
receiver_url=$(jq -r .receiver_url "$info")
account_a=$(jq -r '.accounts[0].id' "$info")
account_b=$(jq -r '.accounts[1].id' "$info")
token=$(jq -r '.accounts[0].token' "$info")
connector=$(jq -r '.accounts[0].connectors[0]' "$info")
domain=$(curl -sf -H "Authorization: Bearer $token" "$base_url/accounts/$account_a/sso_connectors/$connector" |
    jq -r .result.email_domain)

# write_config TOKEN-LINE [POLL-INTERVAL]
write_config() {
    cat >"$ini" <<EOF
# Written by scripts/system/checks.sh.
[daemon]
api_base_url = $base_url
poll_interval = ${2:-2s}
jitter = 0
dns_check = off
$1
log_level = info

[account "sim-a"]
account_id = $account_a

[account "sim-b"]
account_id = $account_b

[webhook "receiver"]
type = generic
url = $receiver_url
events = all
EOF
}

# --- READY=1 ---------------------------------------------------------------------------------------
# The main process waits on a FIFO before it becomes `ssowatch run` (a drop-in runs it through `sh`,
# which execs ssowatch in the same process once the test writes a line): until ssowatch sends READY=1
# the unit must stay "activating". (A secret file may no longer be a FIFO: ssowatch refuses it.)

fifo=/etc/ssowatch/start.fifo
mkfifo -m 0644 "$fifo"
mkdir -p "$(dirname "$dropin")"
printf '[Service]\nExecStart=\nExecStart=/bin/sh -c %s\n' \
    "'read -r _ <$fifo; exec /usr/bin/ssowatch run --config $ini'" >"$dropin"
systemctl daemon-reload
write_config "api_token = $token"
systemctl start --no-block "$unit"
if wait_until 10 test "$(prop ActiveState)/$(prop SubState)" = activating/start &&
    [ "$(prop MainPID)" != 0 ] && sleep 1 && [ "$(prop ActiveState)/$(prop SubState)" = activating/start ]; then
    pass "before READY=1 the unit is activating (start) with its process running (MainPID $(prop MainPID))"
else
    fail "before READY=1 the unit should be activating (start)"
    show_state
fi
t0=$(now_ms)
timeout 10 sh -c "printf 'go\n' >'$fifo'"
if wait_until 10 is_running; then
    pass "READY=1 makes it active (running) ($(($(now_ms) - t0)) ms after ssowatch was let start), STATUS: $(prop StatusText)"
else
    fail "after READY=1 the unit should be active (running)"
    show_state
fi
systemctl stop "$unit"
rm -f "$fifo" "$dropin"
systemctl daemon-reload

# --- the test configuration: LoadCredential=, a watchdog short enough to watch fire ----------------

install -m 0600 /dev/null /etc/ssowatch/cloudflare-token
printf '%s\n' "$token" >/etc/ssowatch/cloudflare-token
mkdir -p "$(dirname "$dropin")"
cat >"$dropin" <<EOF
[Service]
LoadCredential=cloudflare-token:/etc/ssowatch/cloudflare-token
WatchdogSec=3s
RestartSec=1s
EOF
systemctl daemon-reload
write_config "api_token_credential = cloudflare-token"
cursor=$(mark)
if timeout 30 systemctl start "$unit" && is_running; then
    pass "starts with the token from LoadCredential= (a root-only file) under DynamicUser=/PrivateUsers="
else
    fail "systemctl start with LoadCredential="
    show_state
    journal_since "$cursor" -u "$unit" | tail -20 | sed 's/^/    /'
fi
if wait_until 20 status_has "6 connectors in 2 accounts: 6 pending"; then
    pass "StatusText shows the poll summary: $(prop StatusText)"
else
    fail "StatusText should show '6 connectors in 2 accounts: 6 pending; ...'"
    show_state
fi

# --- a transition ----------------------------------------------------------------------------------

cursor=$(mark)
t0=$(now_ms)
curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"account\":\"$account_a\",\"connector\":\"$connector\",\"status\":\"verified\"}" "$sim/__sim/flip" >/dev/null
received() {
    curl -sf "$sim/__sim/received" |
        jq -e --arg c "$connector" '.received[] | select(.connector == $c and .status == "verified")' >/dev/null
}
if wait_until 20 received; then
    pass "pending → verified reaches the webhook receiver ($(($(now_ms) - t0)) ms after the flip)"
else
    fail "no notification for $connector reached the receiver"
    journal_since "$cursor" -u "$unit" | tail -20 | sed 's/^/    /'
fi
by_domain() {
    journalctl -q --no-pager -o cat -u "$unit" "SSOWATCH_DOMAIN=$domain" SSOWATCH_EVENT=verified \
        "SSOWATCH_CONNECTOR=$connector" SSOWATCH_ACCOUNT=sim-a PRIORITY=6 | grep -q "$domain is verified"
}
check "journalctl -u ssowatch SSOWATCH_DOMAIN=$domain finds the transition line (structured fields)" \
    wait_until 5 by_domain
check "the API token appears nowhere in the journal" \
    sh -c "! journalctl -q --no-pager -o verbose | grep -qF '$token'"
if wait_until 10 status_has "1 verified"; then
    pass "StatusText follows: $(prop StatusText)"
else
    fail "StatusText should count 1 verified"
    show_state
fi

# --- reload ----------------------------------------------------------------------------------------

pid=$(prop MainPID)
cursor=$(mark)
write_config "api_token_credential = cloudflare-token" 3s
if timeout 20 systemctl reload "$unit" && wait_until 10 is_running && [ "$(prop MainPID)" = "$pid" ] &&
    wait_until 5 journal_has "$cursor" "configuration reloaded" && ! status_has "reload failed"; then
    pass "systemctl reload: same process (MainPID $pid), configuration reloaded, active (running)"
else
    fail "systemctl reload"
    show_state
fi
cursor=$(mark)
printf 'this line is not an INI line\n' >>"$ini"
broken_line=$(wc -l <"$ini")
if timeout 20 systemctl reload "$unit" && wait_until 10 is_running && [ "$(prop MainPID)" = "$pid" ] &&
    wait_until 5 status_has "reload failed"; then
    pass "a broken file on reload keeps it running (MainPID $pid): $(prop StatusText | cut -c1-110)…"
else
    fail "a broken file on reload should keep the previous configuration running"
    show_state
fi
check "the failed reload is logged with $ini:$broken_line" \
    wait_until 5 journal_has "$cursor" "$ini:$broken_line"
write_config "api_token_credential = cloudflare-token" 2s
if timeout 20 systemctl reload "$unit" && wait_until 10 is_running && wait_until 5 sh -c "! systemctl show -P StatusText $unit | grep -q 'reload failed'"; then
    pass "a later good reload clears the failure from StatusText"
else
    fail "a good reload should clear 'reload failed'"
    show_state
fi

# --- the watchdog ----------------------------------------------------------------------------------

restarts=$(prop NRestarts)
pid=$(prop MainPID)
cursor=$(mark)
t0=$(now_ms)
kill -STOP "$pid"
restarted() { [ "$(prop NRestarts)" -gt "$restarts" ] && is_running && [ "$(prop MainPID)" != "$pid" ]; }
if wait_until 40 restarted; then
    pass "kill -STOP: the watchdog restarts it (NRestarts $restarts → $(prop NRestarts), $(($(now_ms) - t0)) ms, WatchdogSec=3s)"
else
    fail "a frozen ssowatch should be restarted by the watchdog"
    show_state
fi
check "the journal says why: $(journal_since "$cursor" -u "$unit" | grep -i -m1 'watchdog timeout')" \
    journal_has "$cursor" "Watchdog timeout"

# --- a configuration error -------------------------------------------------------------------------

cursor=$(mark)
write_config "api_token_credential = cloudflare-token" soon
bad_line=$(grep -n '^poll_interval = soon' "$ini" | cut -d: -f1)
if ! timeout 30 systemctl restart "$unit" 2>/dev/null; then
    pass "a broken configuration fails the start"
else
    fail "a broken configuration should fail the start"
fi
wait_until 10 test "$(prop ActiveState)" = failed
restarts=$(prop NRestarts)
sleep 4 # four RestartSec=1s: a restart loop would show by now
if [ "$(prop ActiveState)" = failed ] && [ "$(prop ExecMainStatus)" = 78 ] && [ "$(prop NRestarts)" = "$restarts" ]; then
    pass "exit 78 leaves it failed without a restart loop (RestartPreventExitStatus=78; NRestarts $restarts after 4 s)"
else
    fail "exit 78 should stop Restart=on-failure"
    show_state
fi
if journal_has "$cursor" "$ini:$bad_line"; then
    pass "the error is in the journal: $(journal_since "$cursor" -u "$unit" | grep -m1 -- "$ini:$bad_line")"
else
    fail "the journal should name $ini:$bad_line"
    journal_since "$cursor" -u "$unit" | tail -10 | sed 's/^/    /'
fi
systemctl reset-failed "$unit"

# --- stop ------------------------------------------------------------------------------------------

write_config "api_token_credential = cloudflare-token"
timeout 30 systemctl start "$unit"
wait_until 10 is_running
sleep 1
cursor=$(mark)
t0=$(now_ms)
timeout 30 systemctl stop "$unit"
elapsed=$(($(now_ms) - t0))
if [ "$elapsed" -lt 5000 ] && [ "$(prop ActiveState)" = inactive ] && [ "$(prop Result)" = success ] &&
    [ "$(prop ExecMainStatus)" = 0 ]; then
    pass "systemctl stop is clean and quick (${elapsed} ms, exit 0, Result=success)"
else
    fail "systemctl stop (${elapsed} ms)"
    show_state
fi
check "ssowatch logged its orderly stop and systemd killed nothing" \
    sh -c "journalctl -q --no-pager -o cat --after-cursor='$cursor' -u $unit | grep -q '^stopped' &&
        ! journalctl -q --no-pager -o cat --after-cursor='$cursor' -u $unit | grep -qiE 'timed out|killing|SIGKILL'"

# --- upgrade, remove, purge ------------------------------------------------------------------------

timeout 30 systemctl start "$unit"
pid=$(prop MainPID)
if dpkg -i "$deb" >/tmp/dpkg-upgrade.log 2>&1 && wait_until 10 is_running && [ "$(prop MainPID)" != "$pid" ]; then
    pass "reinstalling the package restarts a running ssowatch (try-restart)"
else
    fail "reinstall while running"
    show_state
fi
if dpkg -r ssowatch >/tmp/dpkg-remove.log 2>&1 && [ "$(systemctl is-active "$unit")" = inactive ] &&
    [ ! -e /usr/bin/ssowatch ] && [ -f "$ini" ]; then
    pass "dpkg -r stops the service, removes the binary, keeps the configuration"
else
    fail "dpkg -r"
    sed 's/^/    /' /tmp/dpkg-remove.log
fi
if dpkg -P ssowatch >/tmp/dpkg-purge.log 2>&1 && [ ! -e "$ini" ] && [ ! -e /var/lib/private/ssowatch ]; then
    pass "dpkg -P removes the configuration and the state"
else
    fail "dpkg -P"
    sed 's/^/    /' /tmp/dpkg-purge.log
fi
systemctl stop ssowatch-sim 2>/dev/null
exit 0
