#!/usr/bin/env bash
# Install the system packages that the Python requirements and the tests need, when missing.
#
#   scripts/system_packages.sh              # for `make run` / `make setup`
#   scripts/system_packages.sh --for-tests  # also what the browser and mini-program tests need (`make test`)
#   scripts/system_packages.sh --for-bench  # also the load generator of the rush benchmark (`make bench`)
#   scripts/system_packages.sh --for-deploy-check  # also kubectl and docker-compose (`make check-deploy`)
#   scripts/system_packages.sh --check      # only say what is missing; install nothing
#
# Needed by everyone: what creates the virtualenv and builds mysqlclient (Python's venv module
# and headers, a C compiler, pkg-config and the MariaDB client headers), and gettext (msgfmt and
# xgettext, for the translation catalog), and a Chinese font (fonts-noto-cjk) that the medical
# record PDF embeds. For the tests also Chromium, which the browser tests drive, and Node.js
# with npm, which run the mini-program's tests (miniprogram/) and its contract test. For the
# rush benchmark also wrk, the HTTP load generator of its throughput phases. For the offline
# checks of the deployment files (scripts/check_deploy.sh) kubectl (Debian's kubernetes-client)
# and docker-compose; only the commands are looked for, whatever installed them.
#
# As root with apt-get (Debian/Ubuntu), the missing packages are installed after one
# `apt-get update`. Otherwise the script prints one line with the exact command to run, and
# exits non-zero. Nothing is printed when nothing is missing.
#
# Environment:
#   SYSTEM_PACKAGES_CHECK=1   same as --check (exit 1 if anything is missing, 0 otherwise)
#   APT_GET=COMMAND           the apt-get to run (default: apt-get from PATH)
#   PYTHON=COMMAND            the Python that creates the virtualenv (default: python3.11)
# The detection honours PKG_CONFIG_PATH and PKG_CONFIG_LIBDIR, as mysqlclient's build does, and
# MYSQLCLIENT_CFLAGS with MYSQLCLIENT_LDFLAGS, which let that build skip pkg-config.
set -euo pipefail

for_tests=no
for_bench=no
for_deploy_check=no
check=${SYSTEM_PACKAGES_CHECK:-0}
for arg in "$@"; do
  case $arg in
    --for-tests) for_tests=yes ;;
    --for-bench) for_bench=yes ;;
    --for-deploy-check) for_deploy_check=yes ;;
    --check) check=1 ;;
    *) echo "usage: $0 [--for-tests] [--for-bench] [--for-deploy-check] [--check]" >&2; exit 2 ;;
  esac
done

missing=()
need() {  # need PACKAGE: add it once
  local p
  for p in "${missing[@]}"; do [ "$p" = "$1" ] && return 0; done
  missing+=("$1")
}

# The virtualenv and mysqlclient's C extension: venv with ensurepip, the Python headers, a compiler.
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if command -v "$python" >/dev/null 2>&1; then
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  "$python" -m ensurepip --version >/dev/null 2>&1 || need "python$version-venv"
  "$python" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h")))' \
    || need "python$version-dev"
fi  # (without any Python, make stops at creating the virtualenv and says so)
command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || need gcc

if ! command -v pkg-config >/dev/null 2>&1; then
  # Without pkg-config the headers cannot be found either (mysqlclient asks pkg-config);
  # apt-get skips whatever is already installed.
  need pkg-config
  need libmariadb-dev
elif [ -z "${MYSQLCLIENT_CFLAGS:-}" ] || [ -z "${MYSQLCLIENT_LDFLAGS:-}" ]; then
  # The names mysqlclient's build asks pkg-config for (unless both variables above are set).
  found=no
  for name in mysqlclient mariadb libmariadb perconaserverclient; do
    if pkg-config --exists "$name"; then found=yes; break; fi
  done
  [ "$found" = yes ] || need libmariadb-dev
fi
command -v msgfmt >/dev/null 2>&1 || need gettext
command -v xgettext >/dev/null 2>&1 || need gettext

# A Chinese font, found through fontconfig: the medical record PDF embeds it, and the
# browser tests render Chinese pages with it.
if ! command -v fc-list >/dev/null 2>&1; then
  need fontconfig
  need fonts-noto-cjk
elif [ -z "$(fc-list ':lang=zh' family 2>/dev/null)" ]; then
  need fonts-noto-cjk
fi

if [ "$for_tests" = yes ]; then
  command -v chromium >/dev/null 2>&1 || need chromium
  command -v node >/dev/null 2>&1 || need nodejs
  command -v npm >/dev/null 2>&1 || need npm
fi

if [ "$for_bench" = yes ]; then
  command -v wrk >/dev/null 2>&1 || need wrk
fi

if [ "$for_deploy_check" = yes ]; then
  command -v kubectl >/dev/null 2>&1 || need kubernetes-client
  command -v docker-compose >/dev/null 2>&1 || need docker-compose
fi

[ ${#missing[@]} -eq 0 ] && exit 0

apt_get=${APT_GET:-apt-get}
uid=$(id -u)
sudo=
[ "$uid" = 0 ] || sudo="sudo "
command_line="${sudo}apt-get install -y ${missing[*]}"

if [ "$check" = 1 ]; then
  echo "missing system packages: ${missing[*]} (would run '${sudo}apt-get update && $command_line')"
  exit 1
fi
if [ "$uid" != 0 ]; then
  echo "missing system packages: run '$command_line'" >&2
  exit 1
fi
if ! command -v "$apt_get" >/dev/null 2>&1; then
  echo "missing system packages: run '$command_line' (Debian/Ubuntu names; without apt-get, install their equivalents)" >&2
  exit 1
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"$apt_get" update -qq
"$apt_get" install -y -qq "${missing[@]}" >/dev/null
