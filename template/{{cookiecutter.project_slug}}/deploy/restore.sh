#!/usr/bin/env bash
# Replace the database of the compose service `db` with a dump of
# deploy/backup.sh:
#
#   deploy/restore.sh backups/{{ cookiecutter.project_slug }}-20250101T023000Z.dump
#
# Everything written since that dump is lost. The dump is first restored into
# a database of its own while the site keeps running; if that fails (a
# damaged file, a full disk) the script stops there and nothing has changed.
# Then the app{% if cookiecutter.use_signup == "yes" %} and the worker{% endif %} stop, the restored database takes the
# place of the current one in one transaction, migrations bring it up to this
# release (a dump of an older release lacks its migrations), and the app starts
# again. The database as it was before the restore stays, as app_previous
# (POSTGRES_DB with _previous), until the next restore: it takes as much disk
# as the database itself.
#
# It asks before it replaces anything; --yes answers for you (for a script).
set -euo pipefail

usage() {
  echo "usage: deploy/restore.sh [--yes] backups/<dump>.dump" >&2
  exit 2
}

assume_yes=no
if [ "${1:-}" = --yes ]; then
  assume_yes=yes
  shift
fi
[ "$#" -eq 1 ] || usage
dump=$1
if [ ! -f "$dump" ]; then
  echo "No such dump: $dump" >&2
  exit 2
fi
[[ $dump = /* ]] || dump="$PWD/$dump"
cd "$(dirname "$0")/.."

APP_SERVICES=(web1 web2{% if cookiecutter.use_signup == "yes" %} worker{% endif %})

if [ "$assume_yes" != yes ]; then
  if [ ! -t 0 ]; then
    echo "Not restoring: run it in a terminal to confirm, or pass --yes." >&2
    exit 2
  fi
  read -r -p "Replace the database with $dump, losing what was written since? [yes/no] " answer
  if [ "$answer" != yes ]; then
    echo "Not restored." >&2
    exit 1
  fi
fi

# psql in the db container, as its superuser, on the maintenance database;
# SQL on stdin, where :"db", :"restored" and :"previous" name the app's database
# (the container's POSTGRES_DB) and the two beside it.
sql() {
  # shellcheck disable=SC2016 # expanded by the container's shell
  docker compose exec -T db sh -c 'exec psql --username "$POSTGRES_USER" --dbname postgres \
    --no-psqlrc --quiet --set ON_ERROR_STOP=1 --set db="$POSTGRES_DB" \
    --set restored="${POSTGRES_DB}_restored" --set previous="${POSTGRES_DB}_previous"'
}

start_app() {
  docker compose up --detach --wait --no-deps "${APP_SERVICES[@]}"
  # nginx looks the instances' addresses up again (see rolling-restart.sh).
  docker compose exec -T nginx nginx -s reload
}

# On any failure: the app runs again (on the database it stopped on, unless the
# swap happened), and the half-restored database is dropped.
app_stopped=no
finish() {
  if [ "$app_stopped" = yes ]; then
    echo "Starting the app again." >&2
    start_app
  fi
  echo 'DROP DATABASE IF EXISTS :"restored";' | sql
}
trap finish EXIT

echo 'DROP DATABASE IF EXISTS :"restored";' 'CREATE DATABASE :"restored";' | sql
# shellcheck disable=SC2016 # expanded by the container's shell
docker compose exec -T db sh -c 'exec pg_restore --username "$POSTGRES_USER" \
  --dbname "${POSTGRES_DB}_restored" --no-owner --exit-on-error' <"$dump"

app_stopped=yes
docker compose stop "${APP_SERVICES[@]}"
sql >/dev/null <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = :'db' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS :"previous";
BEGIN;
ALTER DATABASE :"db" RENAME TO :"previous";
ALTER DATABASE :"restored" RENAME TO :"db";
COMMIT;
SQL
docker compose run --rm migrate
start_app
app_stopped=no
echo "Restored $dump."
