#!/usr/bin/env bash
# Politeness per registrable domain (fetch.politeness.key=domain):
# a.news.localhost and b.news.localhost share one slot, so their requests
# are spaced by the delay and never overlap; per host (the default) they
# do not wait for each other. libcurl resolves *.localhost to loopback, so
# one fixture server plays both hosts. --sources.publish groups sources
# into sites by the same key.
source "$(dirname "$0")/lib.sh"
vl_init
FETCHER=$(vl_bin fetcher fetcher)
DELAY=300

mkdir -p "$VL_TMP/site"
for a in a1 a2 a3 a4; do
  echo "<html><head><title>$a</title></head><body><p>$a</p></body></html>" >"$VL_TMP/site/$a.html"
done
start_fixture "$VL_TMP/site" --verbose
PORT=${BASE##*:}
# a1, a2 on host a; a3, a4 on host b; the feed on 127.0.0.1
cat >"$VL_TMP/site/feed.rss" <<XML
<?xml version="1.0"?><rss version="2.0"><channel><title>Two hosts, one domain</title>
<item><title>1</title><link>http://a.news.localhost:$PORT/a1.html</link></item>
<item><title>3</title><link>http://b.news.localhost:$PORT/a3.html</link></item>
<item><title>2</title><link>http://a.news.localhost:$PORT/a2.html</link></item>
<item><title>4</title><link>http://b.news.localhost:$PORT/a4.html</link></item>
</channel></rss>
XML
# the closest two page requests since line $1 of the server's log, in ms
closest() {
  tail -n +"$(($1 + 1))" "$VL_TMP/fixture.log" | grep -aE ' GET /a[0-9]\.html ' >"$VL_TMP/requests" || true
  [ "$(wc -l <"$VL_TMP/requests")" -eq 4 ] || fail "want 4 page requests, got $(wc -l <"$VL_TMP/requests")"
  python3 - "$VL_TMP/requests" <<'PYEOF'
import datetime, sys
ts = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
      for l in open(sys.argv[1])]
print(round(min(b - a for a, b in zip(ts, ts[1:]))))
PYEOF
}
run() { # run KEY: the pages of the feed, with fetch.politeness.key=KEY
  "$FETCHER" --feed "$BASE/feed.rss" --fetch.allow.private --robots.obey=false \
    --fetch.host.delay.ms $DELAY --fetch.politeness.key "$1" >"$VL_TMP/$1.jsonl" 2>"$VL_TMP/fetcher.log" ||
    fail "fetcher --feed failed ($1)"
  [ "$(jq -s length "$VL_TMP/$1.jsonl")" -eq 4 ] || fail "want 4 pages ($1)"
}

mark=$(wc -l <"$VL_TMP/fixture.log")
run domain
gap=$(closest "$mark")
log "domain: closest page requests $gap ms apart"
[ "$gap" -ge $((DELAY - 1)) ] || fail "two requests to one domain closer than the delay ($gap ms)"

mark=$(wc -l <"$VL_TMP/fixture.log")
run host
gap=$(closest "$mark")
log "host: closest page requests $gap ms apart"
[ "$gap" -lt $((DELAY / 2)) ] || fail "per host, the two hosts should not wait for each other ($gap ms)"

"$FETCHER" --fetch.politeness.key nope --feed "$BASE/feed.rss" 2>"$VL_TMP/bad.log" && fail "a bad key was accepted"
grep -q "invalid fetch.politeness.key 'nope'" "$VL_TMP/bad.log" || fail "no message for a bad key"

# the publisher groups the sources of a domain into one site
start_broker 4
cat >"$VL_TMP/sources.conf" <<EOT
http://a.news.localhost:$PORT/feed.rss
http://b.news.localhost:$PORT/feed.rss interval=60
http://other.localhost:$PORT/feed.rss
EOT
# shellcheck disable=SC2046
"$FETCHER" $(vl_kafka_args) --fetch.politeness.key domain --sources.publish "$VL_TMP/sources.conf" \
  2>"$VL_TMP/publish.log" || fail "--sources.publish failed"
grep -q "3 sources in 2 sites" "$VL_TMP/publish.log" || fail "want 2 sites: $(cat "$VL_TMP/publish.log")"
kcat -C -b "$BOOT" -t veille.sources -o beginning -e -q -f '%k %s\n' >"$VL_TMP/sites"
[ "$(jq -r '.sources | length' <(cut -d' ' -f2- "$VL_TMP/sites" | grep news) )" = 2 ] ||
  fail "news.localhost should hold 2 sources: $(cat "$VL_TMP/sites")"
grep -q '^news.localhost ' "$VL_TMP/sites" || fail "no site news.localhost"
grep -q '^other.localhost ' "$VL_TMP/sites" || fail "no site other.localhost"
# dropping a source of a site republishes the site; dropping a site leaves
# a tombstone
grep -v other "$VL_TMP/sources.conf" | grep -v 'b\.news' >"$VL_TMP/fewer.conf"
"$FETCHER" $(vl_kafka_args) --fetch.politeness.key domain --sources.publish "$VL_TMP/fewer.conf" \
  2>"$VL_TMP/publish.log" || fail "--sources.publish failed"
grep -q "1 sources in 1 sites, 1 new or changed, 0 unchanged, 1 deleted" "$VL_TMP/publish.log" ||
  fail "unexpected summary: $(cat "$VL_TMP/publish.log")"
# the last record of each key (one key, one partition: in order)
kcat -C -b "$BOOT" -t veille.sources -o beginning -e -q -Z -f '%k %S %s\n' |
  awk '{last[$1] = $0} END {for (k in last) print last[k]}' | sort >"$VL_TMP/sites"
grep -q '^other.localhost -1 ' "$VL_TMP/sites" || fail "other.localhost was not tombstoned: $(cat "$VL_TMP/sites")"
[ "$(grep '^news.localhost ' "$VL_TMP/sites" | cut -d' ' -f3- | jq -c '[.sources[].url]')" = \
  "[\"http://a.news.localhost:$PORT/feed.rss\"]" ] || fail "news.localhost was not republished: $(cat "$VL_TMP/sites")"
log "PASS"
