#!/bin/sh
# Install what cloudlab needs on a Debian/Ubuntu machine, as root; safe to rerun.
#   - Debian packages: docker.io, debootstrap, python3-venv, ...
#   - a running Docker engine (systemd if it runs, else dockerd in the background)
#   - the project's venv in .venv with cloudlab and its dev tools
#   - the lab base image, built from Debian's packages (only when its recipe changed)
set -eu
cd "$(dirname "$0")/.."
root="$(pwd)"

if [ "$(id -u)" != 0 ]; then
  echo "bootstrap: run as root (it installs Debian packages and starts Docker)" >&2
  exit 1
fi

packages="docker.io debootstrap python3-venv python3-dev make git iproute2 ca-certificates chromium fonts-noto-cjk"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "bootstrap: installing$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "bootstrap: starting the Docker engine"
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    nohup dockerd >/var/log/cloudlab-dockerd.log 2>&1 &
  fi
  tries=0
  until docker info >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 60 ]; then
      echo "bootstrap: Docker did not start; see /var/log/cloudlab-dockerd.log" >&2
      exit 1
    fi
    sleep 1
  done
fi

# Every systemd container takes several inotify instances; Debian's default (128) runs out
# at about ten lab hosts, and systemd then exits while booting.
if [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -lt 8192 ]; then
  sysctl -q -w fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288 ||
    echo "bootstrap: could not raise fs.inotify.max_user_instances; labs with many hosts may not boot" >&2
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.cloudlab-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "bootstrap: installing cloudlab into .venv"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[dev]"
  echo "$wanted" > "$stamp"
fi

.venv/bin/cloudlab image >/dev/null
echo "bootstrap: ready ($root, image $(.venv/bin/cloudlab image))"
