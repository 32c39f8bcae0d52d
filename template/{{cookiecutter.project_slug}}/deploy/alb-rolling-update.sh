#!/usr/bin/env bash
# Rolling update behind an AWS ALB, one instance at a time, so the others keep
# serving: deregister, wait until the ALB has drained it, update and restart,
# wait until it is healthy three times in a row, register, wait in service.
#
# Needs: TARGET_GROUP_ARN, INSTANCE_IDS (space-separated EC2 ids), DEPLOY_USER,
# APP_DIR (the checkout on each instance), DEPLOY_SHA (the full commit id to
# deploy: the one CI tested), AWS credentials, and the instances' host keys in
# ~/.ssh/known_hosts (an unknown or changed host key is refused).
# Set the target group's deregistration delay (for example 300 s) longer than
# your longest request; `wait target-deregistered` waits exactly that long.
set -euo pipefail

: "${TARGET_GROUP_ARN:?set TARGET_GROUP_ARN}"
: "${INSTANCE_IDS:?set INSTANCE_IDS}"
: "${DEPLOY_USER:?set DEPLOY_USER}"
: "${APP_DIR:?set APP_DIR}"
: "${DEPLOY_SHA:?set DEPLOY_SHA}"
# A full commit id and nothing else: it is also part of the command run on each host.
if ! [[ $DEPLOY_SHA =~ ^[0-9a-f]{40}$ ]]; then
  echo "DEPLOY_SHA must be a full 40-character commit id, not '$DEPLOY_SHA'." >&2
  exit 2
fi
HEALTHY_IN_A_ROW=3
CHECK_INTERVAL_S=${CHECK_INTERVAL_S:-10}
MAX_CHECKS=30

on_host() {
  ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 \
    "$DEPLOY_USER@$1" "$2"
}

ready_on_host() {
  # Every app instance on the host must answer readiness with 2xx.
  on_host "$1" "cd '$APP_DIR' && for service in \$(docker compose config --services | grep '^web'); do
    docker compose exec -T \"\$service\" python -m moa_ops.healthcheck http://127.0.0.1:8000/health/ready/ || exit 1
  done"
}

for instance in $INSTANCE_IDS; do
  host=$(aws ec2 describe-instances --instance-ids "$instance" \
    --query 'Reservations[0].Instances[0].PublicIpAddress' --output text)
  echo "::group::$instance ($host)"

  aws elbv2 deregister-targets --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=$instance"
  # Returns when the ALB has finished the in-flight requests (no fixed sleep).
  aws elbv2 wait target-deregistered --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=$instance"

  # Exactly the tested commit (detached), even if main has moved on since.
  on_host "$host" "cd '$APP_DIR' && git fetch --quiet origin \
    && git checkout --quiet --detach $DEPLOY_SHA \
    && test \"\$(git rev-parse HEAD)\" = $DEPLOY_SHA \
    && docker compose up -d --build --wait --wait-timeout 300 \
    && docker compose exec -T nginx nginx -s reload"

  healthy=0
  for _ in $(seq "$MAX_CHECKS"); do
    if ready_on_host "$host"; then
      healthy=$((healthy + 1))
      [ "$healthy" -ge "$HEALTHY_IN_A_ROW" ] && break
    else
      healthy=0
    fi
    sleep "$CHECK_INTERVAL_S"
  done
  if [ "$healthy" -lt "$HEALTHY_IN_A_ROW" ]; then
    echo "::error::$instance is not healthy; it stays out of the target group." >&2
    exit 1
  fi

  aws elbv2 register-targets --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=$instance"
  aws elbv2 wait target-in-service --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=$instance"
  echo "::endgroup::"
done
