#!/bin/sh
# create-topics.sh: create veille's topics on a Kafka cluster, with the
# settings the pipeline needs. Safe to run again: existing topics are left
# as they are (change those with kafka-configs.sh --alter, see
# docs/operations.md).
#
#   create-topics.sh --bootstrap-server kafka1:9092 \
#       [--partitions 12] [--replication-factor 3] \
#       [--command-config admin.properties] [--watches watches.conf] \
#       [--watch-prefix veille.watch.] [--kafka-bin /opt/kafka/bin]
#
# compose.yaml runs it in its kafka-init service (one broker: replication 1).
# --command-config is the admin client's properties file (SASL, TLS).
# --watches also creates <watch-prefix><name> for every watch in the sink's
# watches file, for clusters where auto.create.topics.enable=false.
set -eu

bootstrap=
partitions=12
replication=3
command_config=
watches=
watch_prefix=veille.watch.
kafka_bin=${KAFKA_HOME:-/opt/kafka}/bin

usage() {
        sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
        exit 2
}

while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || usage
        case $1 in
        --bootstrap-server) bootstrap=$2 ;;
        --partitions) partitions=$2 ;;
        --replication-factor) replication=$2 ;;
        --command-config) command_config=$2 ;;
        --watches) watches=$2 ;;
        --watch-prefix) watch_prefix=$2 ;;
        --kafka-bin) kafka_bin=$2 ;;
        *) usage ;;
        esac
        shift 2
done
[ -n "$bootstrap" ] || usage
# one replica may be down without stopping the producers (acks=all)
if [ "$replication" -ge 3 ]; then min_isr=2; else min_isr=1; fi

MiB16=16777216
DAY=86400000

# create NAME RETENTION_MS [--config k=v ...]
create() {
        name=$1
        retention=$2
        shift 2
        set -- --bootstrap-server "$bootstrap" --create --if-not-exists \
                --topic "$name" --partitions "$partitions" \
                --replication-factor "$replication" \
                --config "max.message.bytes=$MiB16" \
                --config "min.insync.replicas=$min_isr" \
                --config "retention.ms=$retention" "$@"
        if [ -n "$command_config" ]; then
                set -- --command-config "$command_config" "$@"
        fi
        "$kafka_bin/kafka-topics.sh" "$@"
        echo "topic $name: ok"
}

# Pages are the bulk (whole HTML pages, several MiB at worst): keep them
# only as long as the parser may lag or need a replay.
create veille.pages $((3 * DAY))
create veille.articles $((7 * DAY))
create veille.enriched $((30 * DAY))
create veille.dlq $((30 * DAY))

# State topics are compacted: the latest record per key is the state.
# veille.sources: the fetchers' sources, keyed by site (a site's sources go
# to one partition, so one fetcher owns the site); veille.fetcher.state:
# each source's polling state, so that a site that moves to another fetcher
# keeps its validators and schedule; veille.fingerprints: the enrichers'
# near-duplicate fingerprints, read whole by every enricher.
create veille.sources -1 --config cleanup.policy=compact
create veille.fetcher.state -1 --config cleanup.policy=compact
create veille.fingerprints $((14 * DAY)) --config cleanup.policy=compact,delete

if [ -n "$watches" ]; then
        # "name: Term, Term" lines; '#' comments do not match the pattern.
        # Names are [a-z0-9_-]: splitting on blanks is safe.
        # shellcheck disable=SC2013
        for w in $(sed -n 's/^[[:space:]]*\([a-z0-9_-]\{1,\}\)[[:space:]]*:.*/\1/p' "$watches"); do
                create "$watch_prefix$w" $((30 * DAY))
        done
fi
