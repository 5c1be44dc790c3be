#!/bin/sh
# veille-entrypoint: run one veille daemon as PID 1 of the container.
#
#   veille-entrypoint fetcher|parser|enricher|sink [ARGS...]
#   veille-entrypoint [ARGS...]          the image's DAEMON build argument
#   veille-entrypoint fixture-httpd [ARGS...]   the demo's sample web server
#   veille-entrypoint sh|bash|...        anything else runs as given
#
# exec, so that the daemon itself receives SIGTERM and drains; it handles
# its signals, so it needs no init process in front of it.
set -eu

case "${1:-}" in
fetcher | parser | enricher | sink | fixture-httpd)
        d=$1
        shift
        exec "/usr/local/bin/veille-$d" "$@"
        ;;
esac
if [ -n "${VL_IMAGE_DAEMON:-}" ]; then
        exec "/usr/local/bin/veille-$VL_IMAGE_DAEMON" "$@"
fi
if [ $# -eq 0 ]; then
        echo "usage: veille-entrypoint fetcher|parser|enricher|sink [OPTIONS]" >&2
        echo "       (options: veille-entrypoint <daemon> --help)" >&2
        exit 2
fi
exec "$@"
