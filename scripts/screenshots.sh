#!/usr/bin/env bash
# Regenerates screenshots/*.png: every pane of the live view on the shipped
# sample log, frozen at a fixed instant, at a fixed terminal size, captured from
# a real terminal (tmux, with colours) and rendered through HTML in headless
# Chromium. Byte-identical across runs on the same machine.
#
# Needs: tmux, chromium and fonts-dejavu-core (apt), ansi2html (pip).
#   apt-get install -y tmux chromium fonts-dejavu-core && pip install ansi2html
# Run: scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."

COLS=120 ROWS=36 PAD=12
NOW=2026-11-26T21:20:00Z
cargo build --quiet
bin="$PWD/target/debug/ajentik"
tmp=$(mktemp -d)
trap 'tmux -S "$tmp/sock" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
printf 'set -g status off\nset -sg escape-time 0\nset -g default-terminal tmux-256color\n' > "$tmp/tmux.conf"
tmux -S "$tmp/sock" -f "$tmp/tmux.conf" new-session -d -s shot -x "$COLS" -y "$ROWS" \
  "cd '$PWD' && XDG_CONFIG_HOME=/nonexistent LANG=C.UTF-8 '$bin' monitor --live --log examples/sample.jsonl --now $NOW; sleep 5"

wait_for() {
  for _ in $(seq 1 200); do
    tmux -S "$tmp/sock" capture-pane -p -t shot | grep -q "$1" && return 0
    sleep 0.05
  done
  echo "the screen never showed: $1" >&2
  exit 1
}

width=$(( (COLS * 16 * 6021 + 9999) / 10000 + 2 * PAD ))
height=$(( ROWS * 19 + 2 * PAD ))
wait_for "1 Overview"
# Renders the pane on screen now to screenshots/$1.png.
shoot() {
  tmux -S "$tmp/sock" capture-pane -p -e -N -t shot > "$tmp/$1.ansi"
  {
    printf '<!doctype html><html><head><meta charset="utf-8"><style>'
    printf 'body{margin:0;background:#000;color:#e5e5e5}'
    printf "pre{font:16px/19px 'DejaVu Sans Mono',monospace;margin:0;padding:${PAD}px;white-space:pre}"
    printf '</style></head><body><pre>'
    ansi2html --inline --scheme xterm < "$tmp/$1.ansi"
    printf '</pre></body></html>'
  } > "$tmp/$1.html"
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$width,$height" --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$tmp/chrome" \
    --screenshot="$PWD/screenshots/$1.png" "file://$tmp/$1.html" 2>/dev/null
  echo "screenshots/$1.png"
}

i=0
for pane in overview agents tools models alerts cost traces errors; do
  i=$((i + 1))
  tmux -S "$tmp/sock" send-keys -t shot "$i"
  sleep 0.5
  shoot "$pane"
done

# A synthetic Claude Code history (generate --format claude-code; no real data):
# the Sessions pane, the Cost pane with its cache savings, a turn's waterfall.
tmux -S "$tmp/sock" kill-session -t shot
# A fixed path, so that the header (and the image) is the same on every run.
history=target/claude-history
rm -rf "$history"
"$bin" generate --format claude-code --sessions 40 --seed 7 --start 2026-11-26T12:00:00Z --output "$history/projects" > /dev/null 2>&1
tmux -S "$tmp/sock" -f "$tmp/tmux.conf" new-session -d -s shot -x "$COLS" -y "$ROWS" \
  "cd '$PWD' && CLAUDE_CONFIG_DIR='$history' XDG_CONFIG_HOME=/nonexistent LANG=C.UTF-8 '$bin' monitor --live --log claude-code --now $NOW; sleep 5"
wait_for "1 Overview"
tmux -S "$tmp/sock" send-keys -t shot 9
sleep 0.5
shoot claude-code-sessions
tmux -S "$tmp/sock" send-keys -t shot 6
sleep 0.5
shoot claude-code-cost
tmux -S "$tmp/sock" send-keys -t shot 7
sleep 0.5
tmux -S "$tmp/sock" send-keys -t shot Enter
sleep 0.5
shoot claude-code-trace
