#!/usr/bin/env bash
# Back up the database of the compose service `db` into backups/: one pg_dump
# in PostgreSQL's custom format (compressed; deploy/restore.sh reads it), named
# after the time it was taken, in UTC:
#
#   deploy/backup.sh              # backups/{{ cookiecutter.project_slug }}-20250101T023000Z.dump
#
# A dump only gets its .dump name once pg_dump has succeeded and pg_restore has
# read the whole archive back, so a failed or cut-off dump never looks like a
# backup: it is deleted. Then all but the newest BACKUP_KEEP dumps (default 14:
# two weeks of daily backups) are deleted; a failed run deletes none.
#
# The dumps are on this host: copy them elsewhere too (another host, object
# storage), or losing the host loses them with the database. They hold
# password hashes and personal data: backups/ is readable by its owner only.
#
# Environment: BACKUP_DIR (default backups, relative to this checkout),
# BACKUP_KEEP (default 14). deploy/cron/backup and deploy/systemd/ run this
# daily.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKUP_DIR=${BACKUP_DIR:-backups}
BACKUP_KEEP=${BACKUP_KEEP:-14}
PREFIX={{ cookiecutter.project_slug }}-

if ! [[ $BACKUP_KEEP =~ ^[1-9][0-9]*$ ]]; then
  echo "BACKUP_KEEP must be a whole number of dumps, 1 or more (got '$BACKUP_KEEP')." >&2
  exit 2
fi

umask 077
mkdir -p "$BACKUP_DIR"
dump="$BACKUP_DIR/$PREFIX$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$dump.partial"
trap 'rm -f "$partial"' EXIT

# In the db container, as its superuser, on its database: the container's own
# POSTGRES_USER and POSTGRES_DB (compose.yaml). Ownership is left to the
# restore (pg_restore --no-owner): pg_dump ignores --no-owner for archives.
# shellcheck disable=SC2016 # expanded by the container's shell
docker compose exec -T db sh -c \
  'exec pg_dump --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --format custom' \
  >"$partial"
# Reading the archive back to the end (into nothing) finds a dump cut short,
# which listing its table of contents (pg_restore --list) would not.
docker compose exec -T db pg_restore --file /dev/null <"$partial"
mv "$partial" "$dump"
echo "$dump"

# Only this script's dumps, whose names sort by time: the oldest come first.
shopt -s nullglob
set -- "$BACKUP_DIR/$PREFIX"????????T??????Z.dump
while [ "$#" -gt "$BACKUP_KEEP" ]; do
  rm -f -- "$1"
  shift
done
