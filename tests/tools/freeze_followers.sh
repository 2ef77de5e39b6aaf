#!/bin/bash
# Starves the followers the whole-program tests start: stops every
# `ajentik monitor --follow` process for 0.2-1.0 s at random, again and again,
# so that they look at rotations only now and then (as on a loaded machine).
# Run it beside a test binary, e.g.:
#   cargo test --test rotation --no-run
#   bin=$(ls -t target/debug/deps/rotation-* | grep -v '\.d$' | head -1)
#   bash tests/tools/freeze_followers.sh & F=$!
#   for k in $(seq 10); do "$bin" | grep "test result"; done
#   kill $F
# Every order of looks is also the model test's (src/follow/tail/tests/schedules.rs).
trap 'pkill -CONT -f "ajentik monitor --follow"; exit' INT TERM
while true; do
  sleep "0.$((RANDOM % 6 + 1))"
  pids=$(pgrep -f "ajentik monitor --follow")
  [ -z "$pids" ] && continue
  kill -STOP $pids 2>/dev/null
  sleep "0.$((RANDOM % 9 + 2))"
  kill -CONT $pids 2>/dev/null
done
