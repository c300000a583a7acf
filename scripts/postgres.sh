#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: Debian's server binaries run as an ordinary process with its own data
# folder, never the system cluster and never port 5432. It listens on 127.0.0.1 on a free port (trust auth on
# loopback only) and on a unix socket in the folder; fsync stays on, since the tests check durability.
# PostgreSQL cannot bind port 0, so the script picks the port: one outside the kernel's range of ephemeral ports
# (no outgoing connection of the busy test run is given it meanwhile), and another when the bind fails anyway.
#
# Usage:
#   eval "$(scripts/postgres.sh start <dir>)"   starts it (or finds it running) and prints
#                                             export FACESWAP_TEST_POSTGRES='<admin connection string>'
#   scripts/postgres.sh stop <dir>             stops it at once; the folder (and its postgres.log) stays
#
# As root, the server runs as the `postgres` system user (initdb refuses root); the folder is then given to it.
#   FACESWAP_PG_BIN   the server's bin folder (default: the newest /usr/lib/postgresql/*/bin)
set -euo pipefail

usage() { echo "usage: $0 start|stop <dir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
action="$1"
mkdir -p "$2"
dir="$(cd "$2" && pwd)"
data="$dir/data"

bin="${FACESWAP_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "postgres.sh: no PostgreSQL server binaries (install Debian's postgresql package: scripts/setup.sh)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

connection_string() {
  echo "Host=127.0.0.1;Port=$(cat "$dir/port");Username=postgres;Database=postgres"
}

running() { [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port from 20000 up that is not in net.ipv4.ip_local_port_range, the ports the kernel hands out to outgoing
# connections (and to binds of port 0): between the check above and PostgreSQL's bind, only another server that
# picks the same port can take it, and then the bind fails and the start is tried again.
read -r ephemeral_low ephemeral_high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { ephemeral_low=32768; ephemeral_high=60999; }
random_port() {
  local below=$(( ephemeral_low > 20000 ? ephemeral_low - 20000 : 0 ))
  local above=$(( ephemeral_high < 65535 ? 65535 - ephemeral_high : 0 ))
  local r=$(( RANDOM * 32768 + RANDOM ))
  if [ $(( below + above )) -eq 0 ]; then echo $(( 20000 + r % 45536 )); return; fi  # all ephemeral: any port will do
  local n=$(( r % (below + above) ))
  if [ "$n" -lt "$below" ]; then echo $(( 20000 + n )); else echo $(( ephemeral_high + 1 + n - below )); fi
}

# Whether the start that just failed failed on its TCP bind (the port is taken), judging by what it added to the log
# after byte $1.
bind_failed() { tail -c +$(( $1 + 1 )) "$dir/postgres.log" 2>/dev/null | grep -qE 'could not bind|could not create any TCP/IP sockets'; }

case "$action" in
start)
  if running; then
    echo "export FACESWAP_TEST_POSTGRES='$(connection_string)'"
    exit 0
  fi
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "postgres.sh: the postgres user cannot write $dir (a parent folder is closed to it); choose a folder under /tmp" >&2
      exit 1
    fi
  fi
  # The socket lives in the folder unless its path would pass the 107-byte limit of unix socket paths.
  sockets="$dir"
  if [ $(( ${#dir} + 18 )) -gt 100 ]; then
    sockets="$(mktemp -d "${TMPDIR:-/tmp}/faceswap-pg.XXXXXX")"
    [ "$(id -u)" = 0 ] && chown postgres: "$sockets"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --no-locale -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2; exit 1; }
  fi
  rm -f "$dir/pg_ctl.err"
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(random_port)
    port_taken "$port" && continue
    logged=$(stat -c %s "$dir/postgres.log" 2>/dev/null || echo 0)
    # Settings on the command line: the data folder's own files stay as initdb wrote them. A run creates hundreds of
    # databases (a few hundred files each): a timed checkpoint would sync them all mid-run, so only WAL volume starts one.
    if as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start -o "\
 -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$sockets'\
 -c max_connections=400 -c shared_buffers=128MB -c fsync=on -c synchronous_commit=on -c full_page_writes=on\
 -c checkpoint_timeout=1d -c max_wal_size=4GB -c log_min_messages=warning -c log_min_error_statement=panic" >/dev/null 2>"$dir/pg_ctl.err"; then
      echo "$port" >"$dir/port"
      echo "export FACESWAP_TEST_POSTGRES='$(connection_string)'"
      exit 0
    fi
    bind_failed "$logged" || break  # another cause: a new port would not help
  done
  cat "$dir/pg_ctl.err" >&2 2>/dev/null || true
  echo "postgres.sh: PostgreSQL did not start; its log ($dir/postgres.log) ends with:" >&2
  tail -n 20 "$dir/postgres.log" >&2 2>/dev/null || true
  exit 1
  ;;
stop)
  # Immediate: no shutdown checkpoint, which with hundreds of test databases takes minutes. Nothing is lost that a
  # later start would need: it replays the WAL, as after a crash.
  if running; then as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null; fi
  ;;
*) usage ;;
esac
