#!/usr/bin/env bash
# make fuzz: run each atheris target for FUZZ_SECONDS, seeded with the project's own files;
# any crash input is kept under tests/fuzz_regressions/ (replayed by the default test suite).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SECONDS_EACH=${FUZZ_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/claims" "$work/parser" tests/fuzz_regressions
cp queries/*.toml "$work/claims/"
cp tests/fixtures/pubmed/*.xml "$work/parser/"
status=0
for target in claims parser; do
  echo "fuzz: $target for ${SECONDS_EACH}s" >&2
  if ! (cd "$work" && "$OLDPWD/$PY" "$OLDPWD/fuzz/fuzz_$target.py" "$work/$target" \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$work/$target-" >"$work/$target.log" 2>&1); then
    status=1
    tail -n 30 "$work/$target.log" >&2
  fi
  for crash in "$work/$target"-crash-* "$work/$target"-timeout-* "$work/$target"-oom-*; do
    [ -e "$crash" ] || continue
    kept="tests/fuzz_regressions/$target-$(sha256sum "$crash" | cut -c1-16)"
    cp "$crash" "$kept"
    echo "fuzz: kept $kept" >&2
  done
  grep -E "^(#[0-9]+|Done)" "$work/$target.log" | tail -n 1 >&2 || true
done
exit $status
