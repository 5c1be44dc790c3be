#!/usr/bin/env bash
# test_fetcher_scale.sh's first steps with partition.assignment.strategy =
# cooperative-sticky: a second instance joins (the first gives up only the
# partitions that move, incrementally), then the first is killed and the
# second takes its sites over from the state topic.
VL_FETCHER_ASSIGNOR=cooperative-sticky VL_FETCHER_SCALE_SHORT=1 \
  exec bash "$(dirname "$0")/test_fetcher_scale.sh"
