#!/usr/bin/env bash
# make system-test: ssowatch under a real systemd.
#
# Boots a minimal Debian 12 tree (built once with debootstrap and cached outside the checkout) with
# `systemd-nspawn --boot` in its own network namespace, installs the .deb in it, and runs checks.sh
# inside: READY=1, STATUS=, reload, a notification, the watchdog, a config error, stop, remove/purge.
# Everything the daemon talks to (the simulated Cloudflare API, the webhook receiver) runs on the
# container's own loopback; only debootstrap reaches the network, for the Debian mirror apt uses.
#
# Usage: scripts/system/run.sh [--make] PATH/TO/ssowatch_VERSION_ARCH.deb   (--make: run `make deb` first)
# Environment: SSOWATCH_SYSTEM_TEST_CACHE (default /var/cache/ssowatch-system-test),
#              SSOWATCH_DEBIAN_MIRROR (default: the mirror apt uses for this release, else deb.debian.org).
# Prints PASS/FAIL per check and closes with `N passed, N failed`; exit status 1 when any failed.
# Without root or systemd-nspawn it prints `system test skipped because ...` and exits 0.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
make_deb=false
if [ "${1:-}" = --make ]; then
    make_deb=true
    shift
fi
deb=${1:-}
cache_dir=${SSOWATCH_SYSTEM_TEST_CACHE:-/var/cache/ssowatch-system-test}
suite=bookworm
# What the container needs besides minbase: systemd as PID 1, the .deb's dependencies (it is
# installed with dpkg, offline), and curl/jq for the checks. Changing this list makes a new tree.
packages=systemd,systemd-sysv,dbus,libsystemd0,procps,ca-certificates,curl,jq
tree_version=1

skip() {
    echo "system test skipped because $*"
    exit 0
}

[ -n "$deb" ] || { echo "usage: $0 [--make] PATH/TO/ssowatch_VERSION_ARCH.deb" >&2; exit 64; }
case "$deb" in /*) ;; *) deb=$PWD/$deb ;; esac
[ "$(id -u)" = 0 ] || skip "it needs root (systemd-nspawn boots a container, debootstrap builds its tree)"
[ "$(uname -s)" = Linux ] || skip "it needs Linux"

# The tools, from Debian's packages when missing.
if ! command -v systemd-nspawn >/dev/null || ! command -v debootstrap >/dev/null; then
    if command -v apt-get >/dev/null; then
        echo "Installing systemd-container and debootstrap with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq systemd-container debootstrap >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq systemd-container debootstrap >/dev/null 2>&1; }
    fi
fi
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not available (apt-get install systemd-container)"
command -v debootstrap >/dev/null || skip "debootstrap is not available (apt-get install debootstrap)"
command -v nsenter >/dev/null || skip "nsenter is not available (util-linux)"

passed=0
failed=0
started=$(date +%s)
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
}

# --make: build the .deb now that the test is known to run (`make system-test` does this, so a
# machine that skips does not spend minutes on a release build first).
if $make_deb; then
    ${MAKE:-make} -C "$repo" deb || { fail "make deb failed"; finish; }
fi
[ -f "$deb" ] || { fail "no package at $deb"; finish; }

# --- the cached tree -------------------------------------------------------------------------------

mirror() {
    if [ -n "${SSOWATCH_DEBIAN_MIRROR:-}" ]; then
        echo "$SSOWATCH_DEBIAN_MIRROR"
        return
    fi
    # The URI apt already uses for this suite (`apt-get indextargets` reads sources.list and deb822).
    local uri
    uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
        awk -v s="$suite" '$2 == s { print $1; exit }')
    echo "${uri:-http://deb.debian.org/debian/}"
}

key=$(printf '%s %s %s' "$suite" "$packages" "$tree_version" | sha256sum | cut -c1-12)
tree=$cache_dir/$suite-$key
mkdir -p "$cache_dir"
exec 9>"$cache_dir/.lock"
flock -w 900 9 || { fail "another system test holds $cache_dir/.lock"; finish; }
if [ ! -x "$tree/lib/systemd/systemd" ]; then
    url=$(mirror)
    echo "Building the container tree in $tree with debootstrap from $url (cached for later runs)"
    building=$(mktemp -d "$cache_dir/building.XXXXXX")
    t0=$(date +%s)
    if debootstrap --variant=minbase --include="$packages" "$suite" "$building" "$url" >"$cache_dir/debootstrap.log" 2>&1; then
        # Nothing in the container needs the downloaded archives or a login prompt.
        rm -rf "$building"/var/cache/apt/archives/*.deb "$building"/var/lib/apt/lists/*_Packages
        ln -sf /dev/null "$building/etc/systemd/system/console-getty.service"
        ln -sf /dev/null "$building/etc/systemd/system/getty.target"
        : >"$building/etc/machine-id"
        rm -rf "$tree"
        mv "$building" "$tree"
        pass "debootstrap built the container tree ($(($(date +%s) - t0)) s)"
    else
        tail -20 "$cache_dir/debootstrap.log" | sed 's/^/    /'
        rm -rf "$building"
        fail "debootstrap failed (log: $cache_dir/debootstrap.log)"
        finish
    fi
else
    echo "Using the cached container tree $tree"
fi
# Trees of older package lists are left behind by a change of $packages; keep only the current one.
for old in "$cache_dir/$suite"-*; do
    [ "$old" = "$tree" ] || [ ! -d "$old" ] || rm -rf "$old"
done

# --- boot ------------------------------------------------------------------------------------------

work=$(mktemp -d /tmp/ssowatch-system-test.XXXXXX)
nspawn_pid=
leader=
cleanup() {
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        # SIGTERM asks the container's systemd to power off; then the process group goes.
        kill -TERM -- "-$nspawn_pid" 2>/dev/null
        for _ in $(seq 1 100); do
            kill -0 "$nspawn_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$nspawn_pid" 2>/dev/null; then
            # Still up: the container's PID 1 takes its whole PID namespace with it.
            [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
            kill -KILL -- "-$nspawn_pid" 2>/dev/null
        fi
        wait "$nspawn_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --volatile=overlay: the cached tree is the read-only lower layer and every change of the run goes
# to a tmpfs, so each run starts from the same tree. --private-network: the container's loopback
# is its own, nothing reaches the host's or anyone else's. --register=no --keep-unit: no machined.
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn --quiet --boot --register=no --keep-unit \
    --directory="$tree" --volatile=overlay --private-network --machine="ssowatch-test-$$" \
    --bind-ro="$here:/mnt/ssowatch-test" --bind-ro="$(dirname "$deb"):/mnt/ssowatch-dist" \
    --console=read-only </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!

for _ in $(seq 1 150); do
    leader=$(pgrep -P "$nspawn_pid" -x systemd | head -1)
    [ -n "$leader" ] && break
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.1
done

in_container() {
    nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb "$@"
}

boot_start=$(date +%s%N)
state=
# Until the container's systemd listens on its private socket, systemctl fails at once: retry.
for _ in $(seq 1 300); do
    [ -n "$leader" ] || break
    state=$(in_container timeout 60 systemctl is-system-running --wait 2>/dev/null)
    case "$state" in running | degraded | maintenance | stopping) break ;; esac
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.2
done
boot_ms=$((($(date +%s%N) - boot_start) / 1000000))
case "$state" in
running | degraded)
    pass "the container booted systemd as PID 1 ($state after ${boot_ms} ms)"
    if [ "$state" = degraded ]; then
        in_container systemctl --failed --no-legend | sed 's/^/    failed unit: /'
    fi
    ;;
*)
    fail "the container did not boot (state: ${state:-none}); console:"
    tail -30 "$work/console.log" | sed 's/^/    /'
    finish
    ;;
esac

# --- the checks, inside ----------------------------------------------------------------------------

in_container timeout 600 bash /mnt/ssowatch-test/checks.sh "/mnt/ssowatch-dist/$(basename "$deb")" >"$work/checks.log" 2>&1
status=$?
cat "$work/checks.log"
passed=$((passed + $(grep -c '^PASS: ' "$work/checks.log")))
failed=$((failed + $(grep -c '^FAIL: ' "$work/checks.log")))
if [ "$status" = 124 ]; then
    fail "the checks did not finish within 600 s"
elif [ "$status" != 0 ] && ! grep -q '^FAIL: ' "$work/checks.log"; then
    fail "the checks stopped with status $status"
fi
echo "system test took $(($(date +%s) - started)) s"
finish
