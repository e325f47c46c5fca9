# Sourced by scripts that need korrosync (a KOReader sync server from the Rust
# registry: `cargo install korrosync --locked`) running on loopback.
#
# start_korrosync: starts it on a free port with a fresh database in $work,
# registers alice/alice-pw and bob/bob-pw over its API, sets $korrosync_url,
# and kills it when the calling script exits. Its rate limit is a period in
# seconds, not a rate: one token per second and a burst of 100000 keep it out
# of the way of a run.

start_korrosync() {
  command -v korrosync >/dev/null 2>&1 || {
    echo "needs korrosync: cargo install korrosync --locked" >&2
    exit 2
  }
  work=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  KORROSYNC_DB_PATH="$work/db.redb" KORROSYNC_SERVER_ADDRESS="127.0.0.1:$port" \
    KORROSYNC_RATE_LIMIT_PER_SECOND=1 KORROSYNC_RATE_LIMIT_BURST_SIZE=100000 \
    korrosync serve >"$work/log" 2>&1 &
  korrosync_pid=$!
  trap 'kill $korrosync_pid 2>/dev/null; rm -rf "$work"' EXIT
  korrosync_url="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    curl -s -o /dev/null "$korrosync_url/robots.txt" && break
    sleep 0.1
  done
  local user password key
  for user in alice bob; do
    password="$user-pw"
    key=$(printf '%s' "$password" | md5sum | cut -d' ' -f1)
    curl -s -o /dev/null -X POST -H 'Accept: application/vnd.koreader.v1+json' \
      -H 'Content-Type: application/json' \
      --data "{\"username\":\"$user\",\"password\":\"$key\"}" "$korrosync_url/users/create"
  done
}

# The verify-server flags for korrosync's two users.
korrosync_users=(--user alice --password alice-pw --second-user bob --second-password bob-pw)
