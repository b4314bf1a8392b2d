#!/usr/bin/env bash
# The README's "Production" section, followed literally on this machine: the
# commands of its first ```sh block are read from README.md and run as written,
# with the placeholders (`...`) filled in: a fresh database on the local
# PostgreSQL (dropped after), a separate redis-server on a free port (stopped
# after), a Twilio stand-in (tests/fake_twilio.py) for the Twilio API. Then what
# a person does next: `peerwork create-admin`, a program with its number, a
# signed webhook through the proxy headers, a reply sent by the worker through
# the stand-in, /readyz 200 with a worker seen. Any line of that block this
# script does not know fails the run, so the README and this script move
# together.
set -euo pipefail
cd "$(dirname "$0")/.."
helpers=.ci/production_helpers.py
work=$(mktemp -d)
db="peerwork_prod_ci_$$"
pids=()
redis_port=""

cleanup() {
  rc=$?
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  done
  if [ "$rc" -ne 0 ]; then
    for log in "$work"/*.log; do echo "--- $log"; tail -n 40 "$log"; done
  fi
  [ -n "$redis_port" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# -- the services the README assumes -------------------------------------------------
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
redis_port=$(python $helpers free-port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work" --logfile "$work/redis.log" --daemonize yes
web_port=$(python $helpers free-port)

# The placeholders of the README's `export` line, as an operator would fill them in.
declare -A fill=(
  [DATABASE_URL]="postgresql+psycopg://postgres@127.0.0.1:5432/$db"
  [REDIS_URL]="redis://127.0.0.1:$redis_port/0"
  [SECRET_KEY]="$(python $helpers secret)"
  [PEERWORK_DATA_KEY]="$(python $helpers data-key)"
  [TWILIO_ACCOUNT_SID]="AC$(printf '1%.0s' $(seq 1 32))"
  [TWILIO_AUTH_TOKEN]="$(python $helpers secret)"
)
# Settings the README documents beside that line: where gunicorn listens (the
# default 0.0.0.0:8000 may be taken on a shared machine), its size, the local
# folder (the web process's outage spool), and the Twilio stand-in.
export PEERWORK_BIND="127.0.0.1:$web_port" WEB_CONCURRENCY=2 PEERWORK_INSTANCE="$work/instance"

# -- the README's block --------------------------------------------------------------
block=$(awk '/^## Production/{p=1} p&&/^```sh/{b=1;next} b&&/^```/{exit} b' README.md \
  | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d')
[ -n "$block" ] || { echo "no sh block in the README's Production section"; exit 1; }
echo "== the README's production commands:"
printf '  %s\n' "$block"

twilio_url=""
admin_email=""
while IFS= read -r line; do
  case "$line" in
    "pip install "*)
      echo "== $line"; eval "$line" -q ;;
    "export "*)
      for name in "${!fill[@]}"; do
        line=${line//"$name=..."/"$name='${fill[$name]}'"}
      done
      if [[ "$line" == *"..."* ]]; then echo "a placeholder this script does not fill: $line"; exit 1; fi
      eval "$line"
      echo "== export (placeholders filled in): PEERWORK_ENV=$PEERWORK_ENV PUBLIC_BASE_URL=$PUBLIC_BASE_URL"
      # The Twilio stand-in, with the credentials just exported.
      python $helpers twilio "$work/twilio-url" >"$work/twilio.log" 2>&1 & pids+=($!)
      for _ in $(seq 1 100); do [ -s "$work/twilio-url" ] && break; sleep 0.1; done
      twilio_url=$(cat "$work/twilio-url")
      export TWILIO_API_BASE_URL="$twilio_url" ;;
    "peerwork db upgrade")
      echo "== $line"; eval "$line" ;;
    "peerwork create-admin "*)
      echo "== $line"
      PEERWORK_ADMIN_PASSWORD="$(python $helpers secret)" eval "$line"
      admin_email=$(eval "set -- $line"; while [ $# -gt 0 ]; do
        [ "$1" = "--email" ] && { echo "$2"; break; }; shift; done) ;;
    "gunicorn "*|"peerwork worker"|"peerwork scheduler")
      name=$(echo "$line" | awk '{print ($1 == "gunicorn") ? "web" : $2}')
      echo "== $line &  (log: $name.log)"
      eval "$line" >"$work/$name.log" 2>&1 & pids+=($!) ;;
    *)
      echo "the README's production block has a line this script does not know: $line"; exit 1 ;;
  esac
done <<<"$block"
[ "$PEERWORK_ENV" = production ] || { echo "the README did not set PEERWORK_ENV=production"; exit 1; }

# -- what the operator does next -----------------------------------------------------
base="http://127.0.0.1:$web_port"
python $helpers ready "$base" 60
[ -n "$admin_email" ] || { echo "the README's block made no admin"; exit 1; }
number="+15855550142"
echo "== the admin sets up a program with its number (as on the setup pages)"
python $helpers program "$admin_email" "$number"
echo "== a signed webhook, through the proxy headers"
texter="+17165550123"
python $helpers text "$base" "$texter" "$number" "hello"
python $helpers text "$base" "$texter" "$number" "hello again"
python $helpers wait-sent "$twilio_url" "$texter" 60
python $helpers ready "$base" 30 workers
grep -q "periodic-" "$work/worker.log" || { echo "the scheduler's periodic jobs never ran"; exit 1; }
for pid in "${pids[@]}"; do kill -0 "$pid" || { echo "a process exited"; exit 1; }; done
echo "== the README's production section works as written"
