#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine with only the Rust toolchain it installs
# what the tests check against (openssl, pkilint, certbot, lego), then runs format, lint and the whole suite.
# Interop tools are never optional: if one cannot be installed, this fails.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

apt_missing=()
command -v openssl >/dev/null 2>&1 || apt_missing+=(openssl)
command -v curl >/dev/null 2>&1 || apt_missing+=(curl)
# The ACME clients the ACME tests drive (Debian bookworm: certbot 2.1, lego 4.9).
command -v certbot >/dev/null 2>&1 || apt_missing+=(certbot)
command -v lego >/dev/null 2>&1 || apt_missing+=(lego)
command -v python3 >/dev/null 2>&1 || apt_missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || apt_missing+=(python3-pip)
if ((${#apt_missing[@]})); then
    log "installing ${apt_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${apt_missing[@]}"
fi

# pkilint's console scripts land in the interpreter's scripts directory; make sure it is on PATH.
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH
if ! command -v lint_pkix_cert >/dev/null 2>&1; then
    log "installing pkilint"
    python3 -m pip install --quiet --disable-pip-version-check pkilint ||
        python3 -m pip install --quiet --disable-pip-version-check --break-system-packages pkilint
fi
command -v lint_pkix_cert >/dev/null || { echo "pkilint is not installed" >&2; exit 1; }
python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install --quiet cryptography
# jwcrypto: an independent JOSE implementation the ACME JWS tests check against.
python3 -c 'import jwcrypto' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check jwcrypto

log "tools: $(openssl version); $(certbot --version 2>&1); lego $(lego --version 2>&1 | awk '{print $3}'); pkilint $(python3 -m pip show pkilint 2>/dev/null | awk '/^Version/ {print $2}')"

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

log "cargo build (the end-to-end tests run the built binaries)"
cargo build --workspace

log "cargo test"
cargo test --workspace
