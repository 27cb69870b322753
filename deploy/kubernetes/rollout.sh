#!/bin/sh
# Deploys an overlay in the order a release needs:
#   1. everything but the service Deployments (namespace, config, network
#      policies, databases and broker, the migration Job), after removing the
#      previous release's finished Job (a Job's pod template cannot change);
#   2. waits for the migration Job to complete;
#   3. everything, which rolls the Deployments onto the new images.
# Usage: deploy/kubernetes/rollout.sh deploy/kubernetes/overlays/prod [timeout]
set -eu
overlay="${1:?usage: rollout.sh <overlay folder> [timeout, default 15m]}"
timeout="${2:-15m}"
namespace="$(kubectl kustomize "$overlay" | sed -n 's/^  namespace: //p' | head -n 1)"
: "${namespace:?the overlay sets no namespace}"

kubectl -n "$namespace" delete job shopgraph-migrate --ignore-not-found
kubectl apply -k "$overlay" -l 'shopgraph.dev/rollout!=app'
if ! kubectl -n "$namespace" wait --for=condition=complete job/shopgraph-migrate --timeout="$timeout"; then
  kubectl -n "$namespace" logs job/shopgraph-migrate --tail=50 || true
  echo "migrations did not complete: the Deployments were left as they are" >&2
  exit 1
fi
kubectl apply -k "$overlay"
for deployment in gateway customer inventory order relay; do
  kubectl -n "$namespace" rollout status "deployment/shopgraph-$deployment" --timeout="$timeout"
done
