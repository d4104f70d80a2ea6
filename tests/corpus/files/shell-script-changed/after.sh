#!/usr/bin/env bash
# Deploy the current build to the given environment.
set -euo pipefail

ENVIRONMENT="${1:?usage: deploy.sh ENVIRONMENT}"
IMAGE_TAG="${IMAGE_TAG:-$(git rev-parse --short HEAD)}"
NAMESPACE="shop-${ENVIRONMENT}"

echo "Deploying orders-api:${IMAGE_TAG} to ${NAMESPACE}"

kubectl --namespace "${NAMESPACE}" set image deployment/orders-api \
  api="registry.example.com/shop/orders-api:${IMAGE_TAG}"

if ! kubectl --namespace "${NAMESPACE}" rollout status deployment/orders-api --timeout=300s; then
  echo "Rollout failed, rolling back" >&2
  kubectl --namespace "${NAMESPACE}" rollout undo deployment/orders-api
  exit 1
fi

echo "Done."
