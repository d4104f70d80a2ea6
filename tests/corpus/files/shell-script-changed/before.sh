#!/usr/bin/env bash
# Deploy the current build to the given environment.
set -euo pipefail

ENVIRONMENT="${1:?usage: deploy.sh ENVIRONMENT}"
IMAGE_TAG="${IMAGE_TAG:-$(git rev-parse --short HEAD)}"
NAMESPACE="shop-${ENVIRONMENT}"

echo "Deploying orders-api:${IMAGE_TAG} to ${NAMESPACE}"

kubectl --namespace "${NAMESPACE}" set image deployment/orders-api \
  api="registry.example.com/shop/orders-api:${IMAGE_TAG}"

kubectl --namespace "${NAMESPACE}" rollout status deployment/orders-api

echo "Done."
