#!/bin/sh
# Package rampart-pipeline-audit for AWS Lambda (runtime provided.al2023): a build of the shipped (`dist`) profile
# zipped as `bootstrap` (mode 0755) at the root of rampart-pipeline-audit.zip, the S3 key
# stacksets/codepipeline-template-audit.yaml expects (CodeKey, default
# rampart/rampart-pipeline-audit.zip). See docs/template-audit.md, "Packaging the Lambda".
#
#   template/scripts/package-lambda.sh [--target TRIPLE] [--binary PATH] [--output ZIP]
#
#   --target TRIPLE  cargo target (default: the host's). x86_64-unknown-linux-gnu and
#                    aarch64-unknown-linux-gnu need glibc <= 2.34 symbols (Amazon Linux 2023);
#                    *-linux-musl builds are static. The Lambda's Architectures must match
#                    (x86_64 or arm64): the script prints which.
#   --binary PATH    package this binary instead of building (tests use the debug build)
#   --output ZIP     default: <cargo target dir>/lambda/rampart-pipeline-audit.zip
#
# Checks before it succeeds: the binary is an ELF executable for x86_64 or aarch64, needs no
# glibc newer than 2.34, and the zip holds exactly one entry, an executable `bootstrap`.
set -eu

target="" binary="" output=""
while [ $# -gt 0 ]; do
    case "$1" in
        --target) target=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "package-lambda: unknown argument $1" >&2; exit 2 ;;
    esac
done

fail() { echo "package-lambda: $*" >&2; exit 1; }
for tool in zip zipinfo readelf; do
    command -v "$tool" >/dev/null || fail "needs $tool"
done

if [ -z "$binary" ]; then
    # The executable's path from cargo itself (target-dir may be configured anywhere).
    binary=$(cargo build --profile dist -p rampart-template --bin rampart-pipeline-audit \
        ${target:+--target "$target"} --message-format=json-render-diagnostics |
        sed -n 's/.*"executable":"\([^"]*rampart-pipeline-audit\)".*/\1/p' | tail -n 1)
    [ -n "$binary" ] || fail "cargo did not report the rampart-pipeline-audit executable"
fi
[ -x "$binary" ] || fail "$binary is not an executable file"

machine=$(readelf -h "$binary" 2>/dev/null | sed -n 's/^ *Machine: *//p')
case "$machine" in
    *X86-64*) arch=x86_64 ;;
    *AArch64*) arch=arm64 ;;
    *) fail "$binary is not an x86_64 or aarch64 ELF executable (Machine: ${machine:-none})" ;;
esac
newest=$(readelf -V "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n | tail -n 1)
if [ -n "$newest" ]; then
    # Amazon Linux 2023 ships glibc 2.34.
    major=${newest%%.*} minor=${newest#*.}; minor=${minor%%.*}
    if [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -gt 34 ]; }; then
        fail "$binary needs glibc $newest; provided.al2023 has 2.34 (build on an older glibc or for *-linux-musl)"
    fi
fi

if [ -z "$output" ]; then
    dir=$(dirname "$(dirname "$binary")")
    case "$dir" in */release|*/debug|*/dist) dir=$(dirname "$dir") ;; esac
    output="$dir/lambda/rampart-pipeline-audit.zip"
fi
mkdir -p "$(dirname "$output")"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/bootstrap"
chmod 0755 "$stage/bootstrap"
rm -f "$output"
(cd "$stage" && zip -q -X -9 bootstrap.zip bootstrap)
mv "$stage/bootstrap.zip" "$output"

# The layout Lambda needs: one entry, `bootstrap`, executable.
entries=$(zipinfo -1 "$output")
[ "$entries" = "bootstrap" ] || fail "$output holds [$entries], not exactly bootstrap"
mode=$(zipinfo "$output" bootstrap | awk '{print $1}')
case "$mode" in -rwx*x*x) ;; *) fail "bootstrap in $output has mode $mode, not executable" ;; esac

echo "$output: bootstrap ($mode), Architectures: [$arch], glibc ${newest:-none} <= 2.34"
