#!/usr/bin/env bash
# Queue a sharded moebench run on Slurm: N array tasks (one shard each), then one job that merges the
# shards and writes the report once every task has ended.
#
#   deploy/slurm/submit.sh <suite.yaml> <N shards> [moebench run options…]
#   SBATCH_GPUS=1 SBATCH_PARTITION=gpu deploy/slurm/submit.sh suites/quant-matrix.yaml 4
#
# sbatch's own SBATCH_* variables (partition, account, GPUs, time limit) apply to both jobs. Prints the two
# job ids and the folder the merged run and its report will be in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:?usage: submit.sh <suite.yaml> <N shards> [moebench run options…]}
shards=${2:?usage: submit.sh <suite.yaml> <N shards> [moebench run options…]}
shift 2
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
  echo "submit.sh: <N shards> must be a whole number ≥ 1, not '$shards'" >&2
  exit 2
fi
array=$(sbatch --parsable --array="0-$((shards - 1))" "$here/moebench-array.sbatch" "$suite" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" "$here/moebench-merge.sbatch" "$array")
merge=${merge%%;*}
echo "array job $array (shards 1-$shards), merge + report job $merge"
echo "merged run: results/<suite>/slurm-$array; report: reports/<suite>/slurm-$array"
