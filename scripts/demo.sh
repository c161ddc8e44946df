#!/usr/bin/env bash
# The quickstart: installs what is missing, builds corral, and supervises examples/quickstart/corral.toml
# in the foreground for DEMO_SECONDS (default 20; Ctrl-C ends it earlier), then stops it gracefully
# and shows where everything went.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

example=examples/quickstart
seconds="${DEMO_SECONDS:-20}"
echo
echo "\$ build/corral up $example/corral.toml      # for ${seconds}s, then SIGTERM"
build/corral up "$example/corral.toml" &
daemon=$!
trap 'kill -TERM "$daemon" 2>/dev/null || true' INT TERM

sleep 2
node -e '
  require("http").get("http://127.0.0.1:" + (process.env.PORT || 8377) + "/", (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => console.log(`\n$ curl http://127.0.0.1:8377/\n${body}`));
  }).on("error", (e) => console.log(`web is not answering: ${e.message}`));
' || true

for _ in $(seq 3 "$seconds"); do
  kill -0 "$daemon" 2>/dev/null || break
  sleep 1
done
kill -TERM "$daemon" 2>/dev/null || true
wait "$daemon" || true

logs="$example/.corral/logs"
echo
echo "Every instance's output is in $logs:"
ls -1 "$logs" | sed 's/^/  /'
echo
echo "\$ grep -c 'something went wrong' $logs/flaky-0.err.log    # one uncaught error per crash"
grep -c 'something went wrong' "$logs/flaky-0.err.log" || true
echo
echo "corral's own log: $example/.corral/corral.log. Run it yourself with: build/corral up $example/corral.toml"
