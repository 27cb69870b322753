#!/bin/sh
# Writes one self-contained folder per service image under OUT (default
# /out): compiled JavaScript and production dependencies only, made with
# `pnpm deploy`. Run after `pnpm install` and `pnpm build`. The Dockerfile runs
# this; so does the deployment check in CI, which starts the result.
set -eu
out="${1:-/out}"
rm -rf "$out"
# service folder = workspace package; the relay image is the order package.
for pair in gateway:@shopgraph/gateway customer:@shopgraph/customer inventory:@shopgraph/inventory \
  order:@shopgraph/order migrate:@shopgraph/migrations; do
  name="${pair%%:*}"
  pkg="${pair#*:}"
  pnpm --filter "$pkg" deploy --prod --prefer-offline --config.confirmModulesPurge=false "$out/$name" >/dev/null
  # What only pnpm needs; the image runs node.
  rm -f "$out/$name/pnpm-workspace.yaml"
done
