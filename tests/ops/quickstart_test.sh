#!/usr/bin/env bash
# ops/quickstart --detach and --stop against a state directory of the test's own (CTest runs it
# with the source and build directories): it starts signetd and reports its URLs; after a crash
# it starts a new signetd whether the old pid is dead or now belongs to another program, which
# --stop never signals.
set -euo pipefail
source_dir=${1:?source dir}
build_dir=${2:?build dir}

work=$(mktemp -d)
chmod 755 "$work"  # the embedded PostgreSQL runs as postgres when the tests run as root
bystander=
cleanup() {
  SIGNET_STATE_DIR=$work/var BUILD_DIR=$build_dir "$source_dir/ops/quickstart" --stop --no-build >/dev/null 2>&1 || true
  [[ -n $bystander ]] && kill "$bystander" 2>/dev/null || true
  # An embedded PostgreSQL orphaned by the crash below stops with its data directory.
  for pidfile in "$work"/var/*/postmaster.pid "$work"/var/postgres*/postmaster.pid; do
    [[ -s $pidfile ]] && kill -QUIT "$(head -n1 "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export SIGNET_STATE_DIR=$work/var BUILD_DIR=$build_dir SIGNET_HTTP_PORT=$(free_port)
quickstart() { "$source_dir/ops/quickstart" --no-build "$@"; }
value() { sed -n "s/^$1=//p" <<<"$2"; }

echo "--- first start"
out=$(quickstart --detach)
pid=$(value pid "$out")
url=$(value http_url "$out")
[[ -n $pid && -n $url ]] || fail "no pid= or http_url= in: $out"
curl -fsS -o /dev/null "$url/livez" || fail "signetd does not answer on $url"
[[ -s $(value root_ca "$out") ]] || fail "root_ca= names no file"

echo "--- running again reports the running signetd"
again=$(quickstart --detach 2>&1)
[[ $(value pid "$again") == "$pid" ]] || fail "a second --detach did not report pid $pid: $again"
grep -q "already runs (pid $pid)" <<<"$again" || fail "no 'already runs': $again"

echo "--- crash, then the pid is dead"
kill -KILL "$pid"
for _ in $(seq 1 100); do [[ -e /proc/$pid/exe ]] && readlink "/proc/$pid/exe" >/dev/null 2>&1 || break; sleep 0.1; done
out=$(quickstart --detach 2>&1)
grep -q "names no running signetd" <<<"$out" || fail "the dead pid was taken for signetd: $out"
pid2=$(value pid "$out")
[[ -n $pid2 && $pid2 != "$pid" ]] || fail "no new signetd after the crash: $out"
curl -fsS -o /dev/null "$url/livez" || fail "the new signetd does not answer"

echo "--- crash, then the pid belongs to another program"
kill -KILL "$pid2"
for _ in $(seq 1 100); do readlink "/proc/$pid2/exe" >/dev/null 2>&1 || break; sleep 0.1; done
sleep 300 &
bystander=$!
echo "$bystander" >"$SIGNET_STATE_DIR/signetd.pid"
out=$(quickstart --detach 2>&1)
grep -q "names no running signetd" <<<"$out" || fail "another program's pid was taken for signetd: $out"
pid3=$(value pid "$out")
[[ -n $pid3 && $pid3 != "$bystander" ]] || fail "no new signetd: $out"
curl -fsS -o /dev/null "$url/livez" || fail "the third signetd does not answer"

echo "--- --stop stops signetd and nothing else"
echo "$bystander" >"$SIGNET_STATE_DIR/signetd.pid"
quickstart --stop | grep -q "no detached signetd" || fail "--stop took another program for signetd"
kill -0 "$bystander" || fail "--stop signalled another program"
echo "$pid3" >"$SIGNET_STATE_DIR/signetd.pid"
quickstart --stop | grep -q "signetd stopped" || fail "--stop did not stop signetd"
! kill -0 "$pid3" 2>/dev/null || fail "signetd $pid3 still runs after --stop"
echo "quickstart_test: ok"
