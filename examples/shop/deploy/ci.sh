#!/usr/bin/env bash
# Build, push and roll out shop-api. Called by the CI "deploy" job on main.
set -euo pipefail

REGISTRY="${REGISTRY:-registry.example.com/shop}"
VERSION="$(python -c 'import app; print(app.__version__)')"

# Release bot token, used to tag the commit and publish release notes.
GITHUB_TOKEN="ghp_EXAMPLE0shopReleaseBot7xQ2vN9kLp4Rt8"

docker build -t "${REGISTRY}/api:${VERSION}" -t "${REGISTRY}/api:latest" .
docker push "${REGISTRY}/api:${VERSION}"
docker push "${REGISTRY}/api:latest"

kubectl apply -f k8s/
kubectl rollout status deployment/shop-api --timeout=120s

curl -fsS -X POST \
  -H "Authorization: token ${GITHUB_TOKEN}" \
  -H "Accept: application/vnd.github+json" \
  "https://api.github.com/repos/example/shop/releases" \
  -d "{\"tag_name\": \"v${VERSION}\", \"name\": \"shop-api ${VERSION}\"}"
