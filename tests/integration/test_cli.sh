#!/usr/bin/env bash
# Configuration rules through the real binaries: --help from the key table,
# precedence defaults < file < environment < command line, librdkafka
# passthrough (-X, kafka.<prop>, VEILLE_KAFKA_*), and exit 2 with a clear
# message for an unknown or invalid key, wherever it comes from.
source "$(dirname "$0")/lib.sh"
vl_init

expect_exit() { # CODE PATTERN CMD...: exit code CODE, stderr matching PATTERN
  local want=$1 pat=$2; shift 2
  local rc=0
  "$@" >"$VL_TMP/out" 2>"$VL_TMP/err" </dev/null || rc=$?
  [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want: $(cat "$VL_TMP/err")"
  [ -z "$pat" ] || grep -q -- "$pat" "$VL_TMP/err" "$VL_TMP/out" || fail "'$*': no '$pat' in: $(cat "$VL_TMP/err")"
}
dump_value() { grep "^$1 = " "$VL_TMP/out" | sed "s/^$1 = //"; }

for d in fetcher parser enricher sink; do
  bin=$(vl_bin $d $d)
  [ -x "$bin" ] || fail "not built: veille-$d"
  expect_exit 0 "" "$bin" --help
  grep -q -- '--log.level' "$VL_TMP/out" || fail "veille-$d --help lacks the keys"
  grep -q -- '--metrics.listen' "$VL_TMP/out" || fail "veille-$d --help lacks metrics.listen"
  expect_exit 2 "unknown key 'no.such.key'" "$bin" --no.such.key 1
  expect_exit 2 "unknown key" env VEILLE_NO_SUCH_KEY=1 "$bin" --dump-config
  expect_exit 2 "no.such.prop" "$bin" -X no.such.prop=1
  expect_exit 2 "invalid integer" "$bin" --drain.ms soon
  expect_exit 2 "unexpected argument" "$bin" stray
  expect_exit 0 "" "$bin" --version
  log "ok: veille-$d help, unknown and invalid keys"
done

p=$(vl_bin parser parser)
printf 'input.topic = from-file\ndrain.ms = 1000\nkafka.client.id = file-id\n' >"$VL_TMP/p.conf"
expect_exit 0 "" "$p" --dump-config
[ "$(dump_value input.topic)" = veille.pages ] || fail "default input.topic"
expect_exit 0 "" "$p" -c "$VL_TMP/p.conf" --dump-config
[ "$(dump_value input.topic)" = from-file ] || fail "file does not beat default"
[ "$(dump_value kafka.client.id)" = file-id ] || fail "kafka.<prop> in the file"
expect_exit 0 "" env VEILLE_CONFIG="$VL_TMP/p.conf" VEILLE_INPUT_TOPIC=from-env \
  VEILLE_KAFKA_CLIENT_ID=env-id "$p" --dump-config
[ "$(dump_value input.topic)" = from-env ] || fail "env does not beat file"
[ "$(dump_value drain.ms)" = 1000 ] || fail "VEILLE_CONFIG file not read"
[ "$(dump_value kafka.client.id)" = env-id ] || fail "VEILLE_KAFKA_* does not beat the file"
expect_exit 0 "" env VEILLE_INPUT_TOPIC=from-env "$p" -c "$VL_TMP/p.conf" \
  --input.topic from-cli -X client.id=cli-id --dump-config
[ "$(dump_value input.topic)" = from-cli ] || fail "command line does not beat env"
[ "$(dump_value kafka.client.id)" = cli-id ] || fail "-X does not beat the file"
expect_exit 0 "" "$p" -X sasl.password=hunter2 -X dump
grep -q 'sasl.password = \[redacted\]' "$VL_TMP/out" || fail "-X dump does not redact secrets"
! grep -q hunter2 "$VL_TMP/out" || fail "-X dump prints a secret"
expect_exit 0 "linger.ms" "$p" -X list
printf 'drain.ms = 1000\nthis is not a setting\n' >"$VL_TMP/bad.conf"
expect_exit 2 "bad.conf:2" "$p" -c "$VL_TMP/bad.conf"
expect_exit 2 "" "$p" -c "$VL_TMP/missing.conf"
log "ok: precedence, passthrough and redaction"

# -X reaches librdkafka for real: a client id the broker logs would be
# invisible, but debug contexts are not
start_broker 1
timeout 20 "$p" -X "bootstrap.servers=$BOOT" -X debug=broker --log.level debug \
  >/dev/null 2>"$VL_TMP/debug.log" &
pid=$!
sleep 3; kill -TERM $pid; wait $pid || true
grep -q 'BROKER\|broker' "$VL_TMP/debug.log" || fail "-X debug=broker did not reach librdkafka"
log "PASS"
