#!/usr/bin/env bash
# Apply the Indexed Job, wait until every shard has ended (complete or failed), then apply the merge job.
#   deploy/kubernetes/run.sh [namespace]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ns=${1:-default}
job=moebench-moe-vs-dense
kubectl -n "$ns" apply -f "$here/moebench-indexed-job.yaml"
until kubectl -n "$ns" get job "$job" -o jsonpath='{.status.conditions[*].type}' | grep -Eq 'Complete|Failed'; do
  sleep 30
done
kubectl -n "$ns" apply -f "$here/moebench-merge-job.yaml"
kubectl -n "$ns" wait --for=condition=complete --timeout=1h "job/$job-merge"
kubectl -n "$ns" logs "job/$job-merge"
