#!/usr/bin/env bash
# ops/quickstart --detach and --stop against a state directory of the test's own (CTest runs it
# with the source and build directories): it starts signetd and reports its URLs, HTTPS with the
# ceremony's TLS server certificate (its key in the HSM) that curl and openssl verify against the
# root alone; after a crash it starts a new signetd whether the old pid is dead or now belongs to
# another program, which --stop never signals; a state directory from an earlier quickstart,
# without a TLS server certificate, still starts, on HTTP only.
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
export SIGNET_HTTPS_PORT=$(free_port)
quickstart() { "$source_dir/ops/quickstart" --no-build "$@"; }
value() { sed -n "s/^$1=//p" <<<"$2"; }

echo "--- first start"
out=$(quickstart --detach)
pid=$(value pid "$out")
url=$(value http_url "$out")
[[ -n $pid && -n $url ]] || fail "no pid= or http_url= in: $out"
curl -fsS -o /dev/null "$url/livez" || fail "signetd does not answer on $url"
root_ca=$(value root_ca "$out")
[[ -s $root_ca ]] || fail "root_ca= names no file"

echo "--- HTTPS with the ceremony's certificate, verified against the root alone"
https_url=$(value https_url "$out")
[[ $https_url == "https://127.0.0.1:$SIGNET_HTTPS_PORT" ]] || fail "https_url= is '$https_url': $out"
# Full verification (no -k): the chain up to the root, and the host against the subjectAltName.
curl -fsS -o /dev/null --cacert "$root_ca" "$https_url/livez" || fail "curl does not verify $https_url"
curl -fsS -o /dev/null --cacert "$root_ca" --resolve "localhost:$SIGNET_HTTPS_PORT:127.0.0.1" \
  "https://localhost:$SIGNET_HTTPS_PORT/healthz" || fail "curl does not verify https://localhost"
# Not vacuous: trusting only the system's CAs, or for a host the certificate does not name, curl
# refuses the peer's certificate (exit 60).
rc=0; curl -fsS -o /dev/null "$https_url/livez" 2>/dev/null || rc=$?
[[ $rc == 60 ]] || fail "curl without the root: exit $rc, not 60 (certificate refused)"
rc=0; curl -fsS -o /dev/null --cacert "$root_ca" --resolve "evil.example:$SIGNET_HTTPS_PORT:127.0.0.1" \
  "https://evil.example:$SIGNET_HTTPS_PORT/livez" 2>/dev/null || rc=$?
[[ $rc == 60 ]] || fail "curl for another host: exit $rc, not 60 (certificate refused)"
s_client() {
  openssl s_client -connect "127.0.0.1:$SIGNET_HTTPS_PORT" -CAfile "$root_ca" -verify_return_error \
    -showcerts "$@" </dev/null 2>&1
}
tls=$(s_client -verify_ip 127.0.0.1) || fail "openssl s_client does not verify the chain: $tls"
grep -q "Verify return code: 0 (ok)" <<<"$tls" || fail "no 'Verify return code: 0': $tls"
# The listener serves its certificate and the issuing CA (not the root, which clients have).
[[ $(grep -c "BEGIN CERTIFICATE" <<<"$tls") == 2 ]] || fail "the server does not send 2 certificates: $tls"
tls=$(s_client -verify_hostname localhost) || fail "openssl s_client does not verify localhost: $tls"
! s_client -verify_hostname evil.example >/dev/null || fail "s_client verified another host"
# The key is in the HSM (hsm:tls-server), not in a file.
grep -q "key: hsm:tls-server" "$SIGNET_STATE_DIR/signet.yaml" || fail "the TLS key is not hsm:tls-server"
(source "$SIGNET_STATE_DIR/env.sh" && "$build_dir/ops/signetctl" hsm list) | grep -q "^tls-server " ||
  fail "the HSM holds no key tls-server"
# The key that wraps contract documents' data keys (sign/document_vault.hpp).
(source "$SIGNET_STATE_DIR/env.sh" && "$build_dir/ops/signetctl" hsm list) |
  grep -q "^signet-documents .*secret-key *aes-256" || fail "the HSM holds no AES key signet-documents"

echo "--- running again reports the running signetd"
again=$(quickstart --detach 2>&1)
[[ $(value pid "$again") == "$pid" ]] || fail "a second --detach did not report pid $pid: $again"
[[ $(value https_url "$again") == "$https_url" ]] || fail "a second --detach lost https_url: $again"
grep -q "already runs (pid $pid)" <<<"$again" || fail "no 'already runs': $again"

echo "--- a signetd whose binary was rebuilt since it started is still reported, not doubled"
# A rebuild replaces the file: /proc/PID/exe then reads ".../signetd (deleted)".
cp -p "$build_dir/api/signetd" "$build_dir/api/signetd.rebuilt"
mv -f "$build_dir/api/signetd.rebuilt" "$build_dir/api/signetd"
readlink "/proc/$pid/exe" | grep -q ' (deleted)$' || fail "the running signetd's exe is not '(deleted)'"
again=$(quickstart --detach 2>&1)
grep -q "already runs (pid $pid)" <<<"$again" || fail "a rebuilt signetd was not recognised: $again"

echo "--- crash, then the pid is dead"
kill -KILL "$pid"
for _ in $(seq 1 100); do [[ -e /proc/$pid/exe ]] && readlink "/proc/$pid/exe" >/dev/null 2>&1 || break; sleep 0.1; done
out=$(quickstart --detach 2>&1)
grep -q "names no running signetd" <<<"$out" || fail "the dead pid was taken for signetd: $out"
pid2=$(value pid "$out")
[[ -n $pid2 && $pid2 != "$pid" ]] || fail "no new signetd after the crash: $out"
curl -fsS -o /dev/null "$url/livez" || fail "the new signetd does not answer"
curl -fsS -o /dev/null --cacert "$root_ca" "$https_url/livez" || fail "the new signetd has no HTTPS"

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

echo "--- a state directory from an earlier quickstart (no tls-server) starts on HTTP only"
# What an earlier quickstart left: signet.yaml without the https listener, a ceremony without
# the TLS server certificate (which the ceremony, never overwriting, cannot add).
sed -i -e '/^  # The ceremony.s TLS server certificate/,/^  https: /d' "$SIGNET_STATE_DIR/signet.yaml"
! grep -q "https" "$SIGNET_STATE_DIR/signet.yaml" || fail "the test left https in signet.yaml"
rm "$SIGNET_STATE_DIR/ceremony/tls-server.pem"
out=$(quickstart --detach 2>"$work/stderr") || fail "quickstart failed on an earlier state directory: $(cat "$work/stderr")"
grep -qx "https_url=" <<<"$out" || fail "https_url= is not empty: $out"
grep -q "no HTTPS: .* earlier quickstart" "$work/stderr" || fail "no note on stderr: $(cat "$work/stderr")"
curl -fsS -o /dev/null "$url/livez" || fail "signetd on an earlier state directory does not answer"
rc=0; curl -fsS -o /dev/null --cacert "$root_ca" "$https_url/livez" 2>/dev/null || rc=$?
[[ $rc == 7 ]] || fail "HTTPS: curl exit $rc, not 7 (nothing listens)"
quickstart --stop | grep -q "signetd stopped" || fail "--stop did not stop signetd"
echo "quickstart_test: ok"
