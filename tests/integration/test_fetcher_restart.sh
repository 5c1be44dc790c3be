#!/usr/bin/env bash
# sources.file mode keeps each source's polling state in the seen store
# (state.dir) across a crash and a restart: validators (the first poll
# after the restart is conditional: the fixture answers it 304), adapted
# interval and next poll (a source with a long interval is not polled
# before its time), and a source dropped from the file and added back by
# a SIGHUP reload starts from its saved state too. Nothing is fetched or
# published again.
#   A  interval 1 h, dropped from the file for the restart, back on SIGHUP
#   B  interval 1 s, polled all along (304s)
#   C  interval 1 h, in the file all along
source "$(dirname "$0")/lib.sh"
vl_init

mkdir -p "$VL_TMP/site" "$VL_TMP/state"
for f in a b c; do
  mkdir -p "$VL_TMP/site/$f"
  { echo '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed '"$f"'</title>'
    for n in 1 2; do
      echo "<item><title>$f$n</title><link>$f$n.html</link></item>"
      echo "<html><head><title>$f$n</title></head><body><p>Article $f$n.</p></body></html>" \
        >"$VL_TMP/site/$f/$f$n.html"
    done
    echo '</channel></rss>'; } >"$VL_TMP/site/$f/feed.rss"
done
start_broker 4
start_fixture "$VL_TMP/site" --verbose
sources() { # sources FEED...
  for f in "$@"; do
    case $f in b) i=1 ;; *) i=1h ;; esac
    echo "$BASE/$f/feed.rss interval=$i"
  done >"$VL_TMP/sources.conf"
}
fetcher() {
  start_daemon fetcher --sources.file "$VL_TMP/sources.conf" --state.dir "$VL_TMP/state" \
    --fetch.allow.private --metrics.listen 127.0.0.1:0 --state.interval.ms 200
}
m() { local v; v=$(metric fetcher "$1"); echo "${v%.*}"; }
# requests for PATH in the fixture's log after line $2, with their status
reqs() { tail -n +"$(($2 + 1))" "$VL_TMP/fixture.log" | grep -a "GET $1 " || true; }
nreqs() { reqs "$@" | grep -c . || true; }
flines() { wc -l <"$VL_TMP/fixture.log"; }

# first run: every feed read, its 6 pages published and settled
sources a b c
fetcher
wait_keys veille.pages 6 60 || fail "the first run did not publish the 6 pages"
settled() { [ "$(m veille_fetcher_pages_in_flight)" -eq 0 ] && [ "$(m veille_fetcher_pages_published_total)" -eq 6 ]; }
wait_until 30 settled || fail "the pages did not settle"
# a save after that: every state on disk, validators included
saved=$(m veille_fetcher_states_saved_total)
saved_more() { [ "$(m veille_fetcher_states_saved_total)" -gt "$saved" ]; }
wait_until 30 saved_more ||
  fail "no state saved after the pages settled"
wait_until 30 bash -c "[ \$(grep -ac 'GET /b/feed.rss 304' '$VL_TMP/fixture.log') -ge 1 ]" ||
  fail "B was never answered 304 in the first run"
[ "$(nreqs /a/feed.rss 0)" -eq 1 ] && [ "$(nreqs /c/feed.rss 0)" -eq 1 ] ||
  fail "A and C (interval 1 h) were polled more than once in the first run"

# a crash, then a restart without A
kill -KILL "$PID_FETCHER"; wait "$PID_FETCHER" 2>/dev/null || true
log "fetcher killed"
sources b c
mark=$(flines)
fetcher
loaded() { [ "$(grep -ac "$1" "$VL_TMP/fetcher.log" || true)" -ge 1 ]; }
wait_until 30 loaded '2 of 2 sources start from their saved state' ||
  fail "the restarted fetcher did not load the 2 saved states: $(grep -a 'saved state' "$VL_TMP/fetcher.log" | tail -1)"
b_polled() { [ "$(nreqs /b/feed.rss "$1")" -ge "$2" ]; }
wait_until 30 b_polled "$mark" 1 || fail "the restarted fetcher did not poll B"
first=$(reqs /b/feed.rss "$mark" | head -1)
case $first in *" 304") ;; *) fail "B's first poll after the restart was not conditional: '$first'" ;; esac
log "B's first poll after the restart: $first"

# SIGHUP with A back: it starts from its saved state, not polled either
sources a b c
kill -HUP "$PID_FETCHER"
wait_until 30 loaded 'reloaded .*: 3 sources (1 new ones with a saved state)' ||
  fail "the reload did not load A's saved state: $(grep -a reloaded "$VL_TMP/fetcher.log" | tail -1)"
hup=$(flines)
wait_until 30 b_polled "$hup" 2 || fail "B was not polled twice after the reload"
[ "$(nreqs /a/feed.rss "$mark")" -eq 0 ] || fail "A was polled before its saved next poll: $(reqs /a/feed.rss "$mark")"
[ "$(nreqs /c/feed.rss "$mark")" -eq 0 ] || fail "C was polled before its saved next poll: $(reqs /c/feed.rss "$mark")"
[ "$(reqs '/[abc]/[abc][12].html' "$mark" | grep -c . || true)" -eq 0 ] ||
  fail "pages fetched again after the restart: $(reqs '/[abc]/[abc][12].html' "$mark")"
[ "$(reqs /b/feed.rss "$mark" | grep -vc ' 304$' || true)" -eq 0 ] ||
  fail "B was read whole after the restart: $(reqs /b/feed.rss "$mark")"
[ "$(m veille_fetcher_feed_not_modified_total)" -ge 3 ] || fail "want at least 3 304s on /metrics"
consume veille.pages "$VL_TMP/pages.tsv"
[ "$(wc -l <"$VL_TMP/pages.tsv")" -eq 6 ] || fail "pages published again: $(wc -l <"$VL_TMP/pages.tsv") records"

# a stop saves the states, a new start (all three) polls none of them early
kill -TERM "$PID_FETCHER"; wait "$PID_FETCHER" || fail "the fetcher did not stop cleanly"
mark=$(flines)
fetcher
wait_until 30 b_polled "$mark" 2 || fail "B was not polled after the second restart"
[ "$(nreqs '/[ac]/feed.rss' "$mark")" -eq 0 ] || fail "A or C polled early after the second restart"
[ "$(reqs /b/feed.rss "$mark" | head -1 | grep -c ' 304$' || true)" -eq 1 ] ||
  fail "B's first poll after the second restart was not conditional"
log "PASS"
