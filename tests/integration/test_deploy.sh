#!/usr/bin/env bash
# test_deploy.sh: the shipped deployment files against the built binaries.
#
#  (a) every systemd unit in deploy/systemd passes 'systemd-analyze verify'
#      with ExecStart= pointed at the build (and a broken copy fails it);
#  (b) every service rates <= 2.0 with 'systemd-analyze security --offline'
#      (and a bare unit fails the same gate), and keeps the unit contract;
#  (c) a daemon run as its unit runs it (ExecStart, -c with the example
#      config, the unit's environment) speaks sd_notify: READY=1, WATCHDOG=1
#      every half WATCHDOG_USEC, STOPPING=1 and exit 0 on SIGTERM; serves
#      /metrics and /healthz; exits 2 on a bad key (RestartPreventExitStatus);
#  (d) every deploy/conf example, veille.env.example line and compose.yaml
#      environment is accepted by the daemons that read it.
#
# Needs systemd-analyze (systemd 252, not as PID 1), socat (the notify
# socket listener), curl. Env: VL_BUILD_DIR, VL_SOURCE_DIR, VL_TIMEOUT_MULT,
# VL_DEPLOY_DAEMON (the daemon of part c, default parser), VL_KEEP=1 keeps
# the temp dir.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DAEMONS=(fetcher parser enricher sink)
RUN_DAEMON=${VL_DEPLOY_DAEMON:-parser}
UNITS=$VL_SOURCE_DIR/deploy/systemd
CONF=$VL_SOURCE_DIR/deploy/conf
# systemd-analyze security --threshold is the exposure times 10 (0..100),
# and passes when exposure*10 <= threshold: 20 means "rated 2.0 or better"
SECURITY_THRESHOLD=20

VL_TMP=$(mktemp -d /tmp/veille-it-deploy.XXXXXX)
trap vl_cleanup EXIT
trap 'exit 130' INT TERM

for tool in systemd-analyze socat curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
for d in "${DAEMONS[@]}"; do
  [ -x "$(vl_bin "$d" "$d")" ] || fail "not built: $d/veille-$d"
done
[ -x "$(vl_bin tools devbroker)" ] || fail "not built: tools/veille-devbroker"
case $VL_BUILD_DIR in
  *[[:space:]]*) fail "VL_BUILD_DIR must not contain spaces (ExecStart=)" ;;
esac

# ---------------------------------------------------------------- (a) verify

U=$VL_TMP/units
mkdir -p "$U"
cp "$UNITS"/*.service "$UNITS"/*.target "$U"/
# /usr/local/bin/veille-X -> BUILD/X/veille-X ('verify' checks it exists)
sed -i "s#/usr/local/bin/veille-\([a-z]*\)#$VL_BUILD_DIR/\1/veille-\1#g" "$U"/*.service

# verify UNIT...: rc 0 and nothing said. systemd 252 only warns, with rc 0,
# about an unknown key or a value it cannot parse, so any output fails.
verify() {
  local out rc=0
  out=$(cd "$U" && systemd-analyze verify "$@" 2>&1) || rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

units=()
for f in "$U"/*.service "$U"/*.target; do units+=("$(basename "$f")"); done
[ ${#units[@]} -eq 9 ] || fail "expected 4 services, 4 templates and a target, got ${units[*]}"
for u in "${units[@]}"; do
  verify "./$u" || fail "systemd-analyze verify $u"
done
# instances of the templates, with %i substituted
for d in "${DAEMONS[@]}"; do
  verify "./veille-$d@1.service" || fail "systemd-analyze verify veille-$d@1.service"
done
log "(a) verify: ${#units[@]} units and 4 instances pass"

# the check can fail: a misspelt key (warning only) and a missing binary
sed 's/^Type=notify$/Typ=notify/' "$U/veille-$RUN_DAEMON.service" >"$U/broken-key.service"
sed "s#^ExecStart=[^ ]*#ExecStart=$VL_TMP/no-such-binary#" \
  "$U/veille-$RUN_DAEMON.service" >"$U/broken-exec.service"
for b in broken-key broken-exec; do
  if verify "./$b.service" 2>/dev/null; then
    fail "systemd-analyze verify accepted $b.service"
  fi
  rm -f "$U/$b.service"
done
log "(a) verify: broken copies are rejected"

# ------------------------------------------------------------- (b) security

for f in "$U"/*.service; do
  u=$(basename "$f")
  out=$(systemd-analyze security --offline=true \
    --threshold=$SECURITY_THRESHOLD "$f" 2>&1) ||
    { printf '%s\n' "$out" | grep -E '✗|Overall' >&2; fail "security: $u rates above 2.0"; }
  log "(b) $(printf '%s\n' "$out" | grep -o 'Overall exposure level.*')"
done
printf '[Service]\nExecStart=/bin/true\n' >"$VL_TMP/bare.service"
if systemd-analyze security --offline=true --threshold=$SECURITY_THRESHOLD \
  "$VL_TMP/bare.service" >/dev/null 2>&1; then
  fail "security: the threshold let a bare unit through"
fi

# The contract the daemons rely on (docs/operations.md), and what must stay
# out of the shipped units.
drain_ms=$(sed -n 's/^drain\.ms *= *\([0-9]*\)$/\1/p' "$CONF/parser.conf.example")
drain_ms=${drain_ms:-30000}
for f in "$UNITS"/*.service; do
  u=$(basename "$f")
  # shellcheck disable=SC2016 # $MAINPID is literal in the unit
  for line in Type=notify NotifyAccess=main WatchdogSec=30s Restart=on-failure \
    RestartPreventExitStatus=2 KillMode=mixed DynamicUser=yes \
    'ExecReload=/bin/kill -HUP $MAINPID' \
    'EnvironmentFile=-/etc/veille/veille.env' PartOf=veille.target \
    WantedBy=veille.target; do
    grep -qxF "$line" "$f" || fail "$u lacks '$line'"
  done
  stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$f")
  if [ -z "$stop_s" ] || [ $((stop_s * 1000)) -le "$drain_ms" ]; then
    fail "$u: TimeoutStopSec must exceed drain.ms ($drain_ms ms)"
  fi
  ! grep -q '^IPAddressAllow=' "$f" || fail "$u restricts IP addresses (brokers are not local)"
  d=${u#veille-}
  d=${d%%@*}
  d=${d%.service}
  grep -q "^ExecStart=/usr/local/bin/veille-$d -c /etc/veille/$d.conf" "$f" ||
    fail "$u: unexpected ExecStart"
  case $u in
    *@.service) grep -q -- "-X client.id=veille-$d-%i" "$f" ||
      fail "$u: instances need their own client.id" ;;
  esac
done
grep -qx 'StateDirectory=veille/fetcher' "$UNITS/veille-fetcher.service" ||
  fail "veille-fetcher.service: no StateDirectory for the seen store"
grep -qx 'StateDirectory=veille/sink' "$UNITS/veille-sink.service" ||
  fail "veille-sink.service: no StateDirectory for the JSONL file"
log "(b) security: every unit rates <= 2.0 and keeps the unit contract"

# The daemons run in a clean environment, as systemd runs them, keeping
# only the sanitizers' settings of a sanitizer build.
SAN_ENV=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS; do
  if [ -n "${!v:-}" ]; then SAN_ENV+=("$v=${!v}"); fi
done

# ------------------------------------------------- (d) configuration files

# accepts DAEMON [VAR=value...] -- ARGS...: the daemon parses its
# configuration (--dump-config) in a clean environment
accepts() {
  local d=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local rc=0
  env -i PATH=/usr/bin:/bin "${SAN_ENV[@]}" "${envs[@]}" \
    timeout $((10 * VL_TIMEOUT_MULT)) "$(vl_bin "$d" "$d")" "$@" --dump-config \
    >"$VL_TMP/dump.out" 2>"$VL_TMP/dump.err" || rc=$?
  if [ $rc -ne 0 ]; then
    cat "$VL_TMP/dump.err" >&2
    return 1
  fi
}

for d in "${DAEMONS[@]}"; do
  accepts "$d" -- -c "$CONF/$d.conf.example" || fail "veille-$d rejects $d.conf.example"
  # the optional settings, commented out, must be real keys too
  sed 's/^#\([a-z][a-z0-9._-]* = \)/\1/' "$CONF/$d.conf.example" >"$VL_TMP/$d.all.conf"
  accepts "$d" -- -c "$VL_TMP/$d.all.conf" ||
    fail "veille-$d rejects a commented-out setting of $d.conf.example"
  # the template's extra arguments
  args=$(sed -n "s#^ExecStart=/usr/local/bin/veille-$d -c /etc/veille/$d.conf##p" \
    "$UNITS/veille-$d@.service" | sed 's/%i/7/g')
  # shellcheck disable=SC2086
  accepts "$d" VEILLE_METRICS_LISTEN= -- -c "$CONF/$d.conf.example" $args ||
    fail "veille-$d rejects the arguments of veille-$d@.service"
  grep -qx "kafka.client.id = veille-$d-7" "$VL_TMP/dump.out" ||
    fail "veille-$d@7: client.id not set"
done
# each commented-out line of veille.env.example, for every daemon
while IFS= read -r var; do
  for d in "${DAEMONS[@]}"; do
    accepts "$d" "$var" -- -c "$CONF/$d.conf.example" ||
      fail "veille-$d rejects '$var' from veille.env.example"
  done
done < <(sed -n 's/^#\(VEILLE_[A-Z0-9_]*=.*\)$/\1/p' "$CONF/veille.env.example")

# compose.yaml: each daemon with the environment compose gives it
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$VL_SOURCE_DIR/deploy/container" >"$VL_TMP/compose.env" <<'PY'
import sys, yaml
base = yaml.safe_load(open(sys.argv[1] + "/compose.yaml"))
demo = yaml.safe_load(open(sys.argv[1] + "/compose.demo.yaml"))
for doc in (base, demo):
    for name, svc in doc["services"].items():
        cmd = svc.get("command") or []
        daemon = cmd[0] if cmd and cmd[0] in ("fetcher", "parser", "enricher", "sink") else name
        if daemon not in ("fetcher", "parser", "enricher", "sink"):
            continue
        env = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
        print(daemon, " ".join("%s=%s" % kv for kv in sorted(env.items())))
PY
  n=0
  while read -r d vars; do
    # shellcheck disable=SC2086
    accepts "$d" $vars -- || fail "veille-$d rejects its compose environment: $vars"
    n=$((n + 1))
  done <"$VL_TMP/compose.env"
  [ $n -ge 4 ] || fail "compose.yaml: found $n daemon services"
  log "(d) compose.yaml: the daemons accept their environment"
else
  log "(d) compose.yaml: skipped (no python3 yaml module)"
fi
log "(d) configuration examples are accepted"

# --------------------------------------------------- (c) run as the unit does

# a free high port for /metrics (port 0 would leave it unknown)
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 40000))
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || fail "no free port found"

start_broker 4

# NOTIFY_SOCKET: socat appends every datagram to notify.log (no separators:
# the test counts occurrences, not lines)
SOCK=$VL_TMP/notify.sock
NLOG=$VL_TMP/notify.log
: >"$NLOG"
socat -u "UNIX-RECV:$SOCK" "OPEN:$NLOG,append" 2>"$VL_TMP/socat.log" &
VL_PIDS+=($!)
wait_until 10 test -S "$SOCK" || fail "socat did not bind $SOCK"

count() { { grep -o "$1" "$NLOG" || true; } | wc -l; }
has() { [ "$(count "$1")" -gt 0 ]; }

# ExecStart= of the unit, with the built binary and the example config
exec_line=$(sed -n 's/^ExecStart=//p' "$UNITS/veille-$RUN_DAEMON.service")
cp "$CONF/$RUN_DAEMON.conf.example" "$VL_TMP/$RUN_DAEMON.conf"
exec_line=${exec_line//\/usr\/local\/bin\/veille-$RUN_DAEMON/$(vl_bin "$RUN_DAEMON" "$RUN_DAEMON")}
exec_line=${exec_line//\/etc\/veille\/$RUN_DAEMON.conf/$VL_TMP/$RUN_DAEMON.conf}
read -ra cmd <<<"$exec_line"
# the test's overrides: the command line wins over the file
cmd+=(-X "bootstrap.servers=$BOOT" -X session.timeout.ms=6000
  -X heartbeat.interval.ms=1000 --metrics.listen "127.0.0.1:$PORT")
case $RUN_DAEMON in
  fetcher)
    printf '# none\n' >"$VL_TMP/sources.conf"
    mkdir -p "$VL_TMP/state"
    cmd+=(--sources.file "$VL_TMP/sources.conf" --state.dir "$VL_TMP/state") ;;
  sink)
    cp "$VL_SOURCE_DIR/deploy/samples/watches.conf" "$VL_TMP/watches.conf"
    cmd+=(--sink.watches "$VL_TMP/watches.conf" --sink.file "$VL_TMP/enriched.jsonl") ;;
esac

# the unit's environment: systemd passes a clean one, plus the env file
mapfile -t unit_env < <(grep -E '^[A-Z_][A-Z0-9_]*=' "$CONF/veille.env.example" || true)
log "running: ${cmd[*]}"
(cd / && exec env -i PATH=/usr/bin:/bin "${SAN_ENV[@]}" "${unit_env[@]}" \
  NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=1000000 "${cmd[@]}") \
  >"$VL_TMP/$RUN_DAEMON.out" 2>"$VL_TMP/$RUN_DAEMON.log" &
pid=$!
VL_PIDS+=("$pid")

wait_until 20 has READY=1 || fail "no READY=1 on the notify socket"
has "MAINPID=$pid" || fail "READY=1 without MAINPID=$pid: $(cat "$NLOG")"
# WATCHDOG=1 every WATCHDOG_USEC/2 = 0.5 s: at least twice in 2 s
w0=$(count WATCHDOG=1)
sleep 2
w1=$(count WATCHDOG=1)
[ $((w1 - w0)) -ge 2 ] || fail "WATCHDOG=1 sent $((w1 - w0)) time(s) in 2 s"
log "(c) READY=1, then WATCHDOG=1 x$((w1 - w0)) in 2 s"

# http_get PATH OUT: prints the status code
http_get() {
  curl -sS --max-time $((5 * VL_TIMEOUT_MULT)) -o "$2" -w '%{http_code}' \
    "http://127.0.0.1:$PORT$1" 2>>"$VL_TMP/curl.log" || true
}
code=$(http_get /metrics "$VL_TMP/metrics.txt")
[ "$code" = 200 ] || fail "/metrics answered $code"
grep -q '^veille_messages_consumed_total{' "$VL_TMP/metrics.txt" ||
  fail "/metrics lacks veille_messages_consumed_total"
code=$(http_get /healthz "$VL_TMP/healthz.txt")
[ "$code" = 200 ] || fail "/healthz answered $code"
log "(c) /metrics and /healthz answer 200"

# Stop only once the group has settled: the mock holds a LeaveGroup sent
# during a join for several session timeouts (kafka-mock.md §2.1).
case $RUN_DAEMON in
  fetcher) ;;
  *) wait_until 30 grep -q 'assigned [0-9]* partition' "$VL_TMP/$RUN_DAEMON.log" ||
       fail "no partitions assigned" ;;
esac
kill -TERM "$pid"
wait_until 10 has STOPPING=1 || fail "no STOPPING=1 after SIGTERM"
end=$((SECONDS + 10 * VL_TIMEOUT_MULT))
while kill -0 "$pid" 2>/dev/null; do
  [ $SECONDS -lt $end ] || fail "still running 10 s after SIGTERM"
  sleep 0.1
done
rc=0
wait "$pid" || rc=$?
keep=()
for p in "${VL_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
VL_PIDS=("${keep[@]}")
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM, expected 0"
log "(c) SIGTERM: STOPPING=1, exit 0"

# a configuration error is exit 2, which the unit does not restart
rc=0
env -i PATH=/usr/bin:/bin "${SAN_ENV[@]}" timeout $((10 * VL_TIMEOUT_MULT)) \
  "${cmd[@]}" --no.such.key 1 \
  >/dev/null 2>"$VL_TMP/badkey.log" || rc=$?
[ $rc -eq 2 ] || fail "unknown key: exit code $rc, expected 2"
log "(c) unknown key: exit 2"

log "PASS"
