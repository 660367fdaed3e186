#!/usr/bin/env bash
# A real session from empty to approved, with nothing but `mixroom` commands: a fresh server,
# five stems in five formats and rates, a group, two returns with sends, EQ and compression,
# three invited members, notes, a saved version, approvals, and the mastering engineer's pull,
# checked with soxi and metaflac. CTest runs it (test "walkthrough"); by hand:
#   scripts/walkthrough.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
mixroomd="$build/server/mixroomd"
mixroom="$build/client/mixroom"
for tool in sox soxi metaflac; do
  command -v "$tool" >/dev/null || { echo "walkthrough: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

work="$(mktemp -d)"
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
# Each member has a config of their own, as on their own machines.
as() { local who=$1; shift; MIXROOM_CONFIG="$work/$who.json" "$mixroom" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

step "server"
"$mixroomd" serve --data "$work/data" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
url="$(grep -o 'listening on ws://[0-9.:]*' "$work/server.log" | cut -d' ' -f3)"
admin="$(grep -o 'mxr_[A-Za-z0-9_-]*' "$work/server.log" | head -1)"
[ -n "$url" ] && [ -n "$admin" ] || { cat "$work/server.log" >&2; exit 1; }
echo "$url"

step "the admin creates the session; the mix engineer owns it"
as mix login "$url" --token "$admin"
as mix create "Walkthrough Song" --rate 48000

step "five stems in five formats and rates"
sox -n -r 44100 -b 16 "$work/Kick.wav" synth 8 sine 55 fade h 0 8 0.1 gain -6
sox -n -r 48000 -b 24 "$work/Bass.wav" synth 8 sine 82.4 gain -9
sox -n -r 96000 -b 24 "$work/Keys.flac" synth 8 sine 261.6 sine 329.6 remix - gain -12
sox -n -r 88200 -b 16 "$work/Pad.aiff" synth 8 pinknoise lowpass 2000 gain -20
sox -n -r 32000 -b 16 -c 2 "$work/Lead Vocal.wav" synth 8 sine 440 sine 445 gain -12
as mix upload "$work/Kick.wav" "$work/Bass.wav" "$work/Keys.flac" "$work/Pad.aiff" "$work/Lead Vocal.wav" | tee "$work/upload.txt"
grep -q "44.1 kHz, resampled to 48 kHz" "$work/upload.txt"
grep -q "96 kHz, resampled to 48 kHz" "$work/upload.txt"
[ "$(as mix tracks --json | json 'len([s for s in d["strips"] if s["kind"] == "track"])')" = 5 ]

step "a group, two returns with sends"
as mix group add "Rhythm"
as mix output kick rhythm
as mix output Bass Rhythm
as mix return add "Plate" --effect reverb decay=2.2 predelay=25
as mix return add "Slap" --effect delay time=110 feedback=15
as mix send add "Lead Vocal" Plate --level -14
as mix send add "Lead Vocal" Slap --level -20 --pre
as mix send add keys plate --level -18

step "EQ and compression"
as mix band add "Lead Vocal" --type hp24 freq=100
as mix band add "Lead Vocal" --type peak freq=3000 gain=2 q=1.2
as mix band move "Lead Vocal" 2 1
as mix set tracks/Lead\ Vocal/comp/enabled on
as mix set tracks/lead-vocal/comp/threshold -18
as mix set tracks/lead-vocal/comp/ratio 3
as mix set groups/Rhythm/comp/enabled true
as mix set groups/rhythm/comp/threshold -12
as mix set tracks/Pad/fader -6
as mix get tracks/lead-vocal/eq
[ "$(as mix get tracks/Lead\ Vocal/sends/Slap/pre)" = true ]

step "three members"
as mix invite --role artist --name "Ana" --json | json 'd["token"]' >"$work/artist.token"
as mix invite --role client --name "Label" --json | json 'd["token"]' >"$work/client.token"
as mix invite --role mastering --name "Mo" --json | json 'd["token"]' >"$work/mastering.token"
as artist login "$url" --token "$(cat "$work/artist.token")"
as client login "$url" --token "$(cat "$work/client.token")"
as mastering login "$url" --token "$(cat "$work/mastering.token")"
as mix members

step "notes"
note="$(as client note add 0:02.5 "vocal a bit loud here" --to 0:04 --json | json 'd["note"]["id"]')"
as artist note reply "${note:0:6}" "agreed, down 1 dB"
as artist set tracks/lead-vocal/fader -1
as mix note resolve "${note:0:6}"
as mix notes --author Label

step "a version, approved"
as mix policy artist client
as mix version save "mix-1" --message "first full mix"
as mix version diff mix-1
as artist approve mix-1
as client approve mix-1 | tee "$work/approve.txt"
grep -q "now approved" "$work/approve.txt"
as mix status mix-1

step "the mastering engineer pulls"
as mastering pull mix-1 -o "$work/mix-1.flac"
as mastering pull mix-1 -o "$work/mix-1.wav"
[ "$(soxi -r "$work/mix-1.flac")" = 48000 ] && [ "$(soxi -b "$work/mix-1.flac")" = 24 ] && [ "$(soxi -c "$work/mix-1.flac")" = 2 ]
metaflac --show-md5sum "$work/mix-1.flac" >/dev/null
[ "$(soxi -b "$work/mix-1.wav")" = 24 ]
seconds="$(soxi -D "$work/mix-1.wav")"
python3 -c "import sys; s=float('$seconds'); sys.exit(0 if 8 <= s <= 12 else 1)" || { echo "mix length $seconds s" >&2; exit 1; }
peak="$(sox "$work/mix-1.wav" -n stat 2>&1 | awk '/Maximum amplitude/ {print $3}')"
python3 -c "import sys; sys.exit(0 if 0.01 < float('$peak') <= 0.9 else 1)" || { echo "mix peak $peak" >&2; exit 1; }
echo
echo "walkthrough: done (mix-1: ${seconds} s, peak ${peak}, pulled as FLAC and WAV)"
