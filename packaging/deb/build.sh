#!/usr/bin/env bash
# Builds dist/ssowatch_VERSION_ARCH.deb with dpkg-deb from an already built binary (`make deb` does
# both). Layout: /usr/bin/ssowatch, /lib/systemd/system/ssowatch.service (the unit of systemd/ with
# its paths moved from /usr/local to /usr), /etc/ssowatch/ssowatch.ini as a conffile, the README in
# /usr/share/doc/ssowatch/. Depends: from dpkg-shlibdeps, plus what the unit and TLS need.
#
# Usage: packaging/deb/build.sh BINARY VERSION OUTDIR
set -euo pipefail

binary=$1
version=$2
outdir=$3
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
pkg_dir=$root_dir/packaging/deb
maintainer=${DEB_MAINTAINER:-ssowatch maintainers <root@localhost>}
arch=$(dpkg --print-architecture)

[ -x "$binary" ] || { echo "build.sh: no executable at $binary" >&2; exit 1; }
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "build.sh: bad version '$version'" >&2; exit 1; }
command -v dpkg-shlibdeps >/dev/null || { echo "build.sh: dpkg-shlibdeps missing: apt-get install dpkg-dev" >&2; exit 1; }

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
staging=$(mktemp -d "$outdir/.deb-staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
# debian/ssowatch/ is where dpkg-shlibdeps expects a package's files (see below).
tree=$staging/debian/ssowatch
install -d -m 0755 "$tree/DEBIAN"

# Debian strips binaries; --strip-unneeded keeps .dynsym (the runtime exports its symbols), so
# crash reports still name functions.
install -d -m 0755 "$tree/usr/bin"
strip --strip-unneeded -o "$tree/usr/bin/ssowatch" "$binary"
chmod 0755 "$tree/usr/bin/ssowatch"

install -d -m 0755 "$tree/lib/systemd/system"
sed -e 's|/usr/local/bin/ssowatch|/usr/bin/ssowatch|g' \
    -e 's|/usr/local/share/doc/ssowatch|/usr/share/doc/ssowatch|g' \
    -e 's|^# Install: make install (or the .deb)\.|# Installed by the ssowatch package.|' \
    "$root_dir/systemd/ssowatch.service" >"$tree/lib/systemd/system/ssowatch.service"
chmod 0644 "$tree/lib/systemd/system/ssowatch.service"

install -D -m 0644 "$root_dir/config/ssowatch.ini" "$tree/etc/ssowatch/ssowatch.ini"
install -D -m 0644 "$root_dir/README.md" "$tree/usr/share/doc/ssowatch/README.md"

# Shared libraries the binary needs, as Debian package relations (libc6, libsystemd0, ...).
printf 'Source: ssowatch\n\nPackage: ssowatch\nArchitecture: any\n' >"$staging/debian/control"
shlibs=$(cd "$staging" && dpkg-shlibdeps -O -edebian/ssowatch/usr/bin/ssowatch | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# /bin/kill (ExecReload=) is in procps; TLS to Cloudflare and the chat services needs the CA bundle.
depends="$shlibs, ca-certificates, procps"

installed_size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
    "$pkg_dir/control.in" >"$tree/DEBIAN/control"
install -m 0644 "$pkg_dir/conffiles" "$tree/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$pkg_dir/$script" "$tree/DEBIAN/$script"
done

out=$outdir/ssowatch_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$tree" "$out" >/dev/null
echo "built $out ($(du -h "$out" | cut -f1))"
dpkg-deb --info "$out" | sed -n 's/^ \(Depends\|Installed-Size\|Version\):/  \1:/p'
