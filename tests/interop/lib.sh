# Shared by the interop test scripts (sourced, not run).

# Chromium, Node.js and npm on the machine, and playwright-core installed
# next to the tests (from package-lock.json, once).
pl_browser_ready() {
  local here=$1 tool
  for tool in chromium node npm; do
    command -v $tool >/dev/null || { echo "$tool missing: scripts/install-deps.sh test"; exit 1; }
  done
  [ -d "$here/node_modules/playwright-core" ] ||
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
}

# Waits up to 5 s for something to listen on 127.0.0.1:PORT (TCP).
pl_wait_tcp() {
  local port=$1 i
  for i in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 0 # the client's own error says more than a timeout here would
}
