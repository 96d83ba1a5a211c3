#!/bin/sh
# Installs this ecssd tarball (as root):
#   ./install.sh [--prefix /opt/ecssd] [--bindir /usr/local/bin] [--no-units]
# - the bundle into PREFIX (a new version replaces the old one in one rename;
#   a running agent keeps its files until it restarts), linked as BINDIR/ecssd;
# - ecssd-agent.service, ecssd-reap.service and ecssd-reap.timer into
#   /etc/systemd/system (ExecStart=BINDIR/ecssd); nothing is enabled;
# - /etc/default/ecssd and /etc/ecssd/reap.env, every setting commented,
#   unless they exist;
# - the man page into /usr/local/share/man/man1.
# A running ecssd-agent is restarted on the new version.
set -eu

prefix=/opt/ecssd
bindir=/usr/local/bin
units=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --bindir) bindir=$2; shift 2 ;;
    --no-units) units=no; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

src=$(cd "$(dirname "$0")" && pwd)
"$src/bin/ecssd" version >/dev/null || { echo "install.sh: $src/bin/ecssd does not run here" >&2; exit 1; }

# The bundle: copied next to PREFIX, then renamed over it.
parent=$(dirname "$prefix")
mkdir -p "$parent"
new="$prefix.new.$$"
old="$prefix.old.$$"
rm -rf "$new"
mkdir "$new"
cp -R "$src/bin" "$src/libexec" "$src/share" "$new/"
chmod -R go-w "$new"
if [ -e "$prefix" ]; then mv "$prefix" "$old"; fi
mv "$new" "$prefix"
rm -rf "$old"

mkdir -p "$bindir"
ln -sfn "$prefix/bin/ecssd" "$bindir/ecssd"
mkdir -p /usr/local/share/man/man1
cp "$prefix/share/man/man1/ecssd.1" /usr/local/share/man/man1/ecssd.1

if [ ! -e /etc/default/ecssd ]; then
  mkdir -p /etc/default
  cp "$prefix/share/ecssd/ecssd.env" /etc/default/ecssd
fi
if [ ! -e /etc/ecssd/reap.env ]; then
  mkdir -p /etc/ecssd
  cp "$prefix/share/ecssd/reap.env" /etc/ecssd/reap.env
fi

if [ "$units" = yes ]; then
  mkdir -p /etc/systemd/system
  for unit in ecssd-agent.service ecssd-reap.service ecssd-reap.timer; do
    sed "s|/usr/local/bin/ecssd|$bindir/ecssd|g" "$prefix/share/ecssd/systemd/$unit" >"/etc/systemd/system/$unit.tmp"
    chmod 0644 "/etc/systemd/system/$unit.tmp"
    mv "/etc/systemd/system/$unit.tmp" "/etc/systemd/system/$unit"
  done
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl try-restart ecssd-agent.service || true
  fi
fi

echo "install.sh: $("$bindir/ecssd" version) in $prefix ($bindir/ecssd)"
