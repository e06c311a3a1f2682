#!/usr/bin/env bash
# Make sure the PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed, so that
# the SQL dataset tests can start a throwaway server (tests/datasets/conftest.py).
#
# Idempotent: does nothing when the binaries are already there. Otherwise installs Debian's
# `postgresql` package (as root, or through sudo), without creating or starting the system's
# default cluster: the tests start their own server, on 127.0.0.1 only, and stop it after.
set -euo pipefail

find_bin_dir() {
    local dir
    # Debian and Ubuntu keep the server binaries out of the PATH, one folder per version.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    return 1
}

if dir=$(find_bin_dir); then
    echo "PostgreSQL server binaries found in $dir"
    exit 0
fi

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        env DEBIAN_FRONTEND=noninteractive "$@"
    else
        sudo env DEBIAN_FRONTEND=noninteractive "$@"
    fi
}

if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    echo "PostgreSQL server binaries are missing and this script needs root to install them:" >&2
    echo "run it as root, or install the 'postgresql' package yourself." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null; then
    echo "PostgreSQL server binaries are missing and apt-get is not available:" >&2
    echo "install the PostgreSQL server (initdb and pg_ctl) with your package manager." >&2
    exit 1
fi

echo "Installing the PostgreSQL server (apt-get install postgresql)..."
# Tell postgresql-common not to create (and start) the default cluster on installation.
as_root mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" |
    as_root tee /etc/postgresql-common/createcluster.d/datamill-tests.conf >/dev/null

apt_install=(apt-get install -y --no-install-recommends postgresql)
if ! as_root "${apt_install[@]}"; then
    # A fresh machine has no package lists yet; fetch them and try once more.
    as_root apt-get update
    as_root "${apt_install[@]}"
fi

dir=$(find_bin_dir) || {
    echo "The postgresql package was installed but initdb/pg_ctl were not found." >&2
    exit 1
}
echo "PostgreSQL server binaries installed in $dir"
