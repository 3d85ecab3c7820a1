#!/bin/sh
# Installs cc2cc and cc2cc-relay into ~/.cargo/bin (or DIR/bin with --root DIR, or the root that
# CARGO_INSTALL_ROOT or CARGO_HOME names), with `cargo install --locked --path .`.
#
# On Linux it then rebuilds cc2cc as a static musl program, adding that target with rustup on
# the first run. A static program starts without the dynamic loader and without glibc's start-up
# CPU detection, whose `cpuid` instructions each trap to the hypervisor on a virtual machine:
# each command starts about 1 ms sooner on this project's build machine (BENCHMARKS.md).
# cc2cc-relay stays the default build, as its TLS needs C code built for the target. When the
# static build cannot be made, the default build stays, and a note says why.
set -eu
cd "$(dirname "$0")"

usage() {
  echo "usage: ./install.sh [--root DIR]" >&2
  exit 2
}

root=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}
case $# in
  0) ;;
  2) [ "$1" = --root ] || usage; root=$2 ;;
  *) usage ;;
esac

cargo install --locked --path . --root "$root"

note() {
  echo "install.sh: note: $1; $root/bin/cc2cc is the default (dynamic) build, which works the same" >&2
  exit 0
}
[ "$(uname -s)" = Linux ] || exit 0
target="$(uname -m)-unknown-linux-musl"
command -v rustup >/dev/null || note "no rustup to add the $target target for a static cc2cc"
rustup target list --installed 2>/dev/null | grep -qx "$target" ||
  rustup target add "$target" || note "rustup could not add the $target target"
cargo build --locked --release --no-default-features --target "$target" --bin cc2cc ||
  note "the static build for $target failed"
built="${CARGO_TARGET_DIR:-target}/$target/release/cc2cc"
[ -x "$built" ] || note "the static build is not at $built (is a target-dir set in cargo's config?)"
# A rename, so that a running cc2cc (a session's serve-mcp) keeps the program it started with.
cp "$built" "$root/bin/.cc2cc.install" && mv -f "$root/bin/.cc2cc.install" "$root/bin/cc2cc"
echo "install.sh: $root/bin/cc2cc is a static build for $target" >&2
