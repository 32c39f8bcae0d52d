#!/usr/bin/env bash
# Restart the app instances behind the bundled nginx one at a time, so one
# always serves: drain, stop (in-flight requests finish), start the new image,
# wait until healthy, re-enable, next.
#
# nginx has no active health checks: while an instance restarts, nginx retries
# the requests it refuses on the other one (proxy_next_upstream in nginx/site.conf).
# The drain flips readiness to 503 for anything that watches it (a load
# balancer in front of this host, your monitoring).
#
# nginx counts the restarted instance as down for fail_timeout (10 s) after the
# requests it refused, and looked its address up when it started. So before the
# next instance stops, nginx is reloaded: its new workers look the address up
# again and count no failure, and route to the restarted instance at once,
# whatever the drain and health-check intervals are. A reload keeps open
# connections (WebSockets included) on the old workers until they close.
#
# nginx itself is never restarted: it runs the stock image with nginx/ of this
# checkout as its site and the `static` volume as its static files. The new
# release's static files join the old ones in that volume before any instance
# restarts, so pages from an old and a new instance both find theirs, and the
# reloads pick up a changed nginx/site.conf (checked first with nginx -t).
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=(web1 web2)
HEALTH_TIMEOUT_S=${HEALTH_TIMEOUT_S:-180}
# How long the old nginx workers may take to stop accepting after a reload.
NGINX_RELOAD_WAIT_S=${NGINX_RELOAD_WAIT_S:-1}

health_of() {
  docker inspect --format '{% raw %}{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}{% endraw %}' \
    "$(docker compose ps --quiet "$1")"
}

wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  until [ "$(health_of "$1")" = "healthy" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$1 is not healthy after ${HEALTH_TIMEOUT_S}s; stopping here." >&2
      docker compose logs --tail 50 "$1" >&2
      return 1
    fi
    sleep 2
  done
}

docker compose build web1
# A broken nginx site stops the deploy here, before anything changes.
docker compose exec -T nginx nginx -t
docker compose run --rm static
docker compose run --rm migrate

for service in "${SERVICES[@]}"; do
  echo "==> $service"
  # Readiness answers 503, then waits MOA_OPS_DRAIN_TIMEOUT seconds.
  docker compose exec -T "$service" python manage.py drain
  # SIGTERM: uvicorn finishes in-flight requests and closes WebSockets with
  # 1012 (clients reconnect to the other instance) within stop_grace_period.
  docker compose stop "$service"
  docker compose up --detach --no-deps "$service"
  wait_healthy "$service"
  docker compose exec -T nginx nginx -s reload
  sleep "$NGINX_RELOAD_WAIT_S"
  # A new container starts undrained; --undo makes that explicit.
  docker compose exec -T "$service" python manage.py drain --undo
done
{%- if cookiecutter.use_signup == "yes" %}

# The worker takes the new image last: it finishes the task in hand on SIGTERM.
docker compose up --detach --no-deps worker
{%- endif %}

echo "All instances restarted."
