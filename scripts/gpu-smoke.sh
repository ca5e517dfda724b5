#!/bin/sh
# One command on a GPU machine: run suites/gpu-smoke.yaml and pack what it measured into one archive to share:
# results.jsonl and env.json, the raw nvidia-smi log (50 ms, the fields moebench samples), `nvidia-smi -q`,
# `nvidia-smi --help-query-gpu`, moebench's own log, the report (HTML, charts) and how llama.cpp was built.
#
#   scripts/gpu-smoke.sh [--suite file.yaml] [--out folder] [moebench run options…]
#
# Works from a checkout (after npm ci && npm run build) and from an unpacked offline bundle (after
# `moebench/bin/moebench setup`). nvidia-smi: MOEBENCH_NVIDIA_SMI, else nvidia-smi on PATH. Exit code: the run's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$root/node/bin/node" ]; then
  PATH="$root/node/bin:$PATH"
  export PATH
fi
suite="$root/suites/gpu-smoke.yaml"
out="gpu-smoke-$(hostname)-$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) break ;;
  esac
done
smi=${MOEBENCH_NVIDIA_SMI:-nvidia-smi}
mkdir -p "$out"
cli="$root/dist/cli.js"

"$smi" -q > "$out/nvidia-smi-q.txt" 2>&1 || echo "gpu-smoke: $smi -q failed (see nvidia-smi-q.txt)" >&2
"$smi" --help-query-gpu > "$out/nvidia-smi-help-query-gpu.txt" 2>&1 || true
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -a)"
  echo "node: $(node --version)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -n 1 || true)"
  echo "cmake: $(cmake --version 2>/dev/null | head -n 1 || true)"
} > "$out/machine.txt"
for f in "$root/BUNDLE.json" "$root/node_modules/node-llama-cpp/llama/localBuilds/moebench-build.json"; do
  if [ -f "$f" ]; then cp "$f" "$out/"; fi
done

# the raw log, next to moebench's own sampler: the fields moebench would sample, as this nvidia-smi supports them
fields=$(node --input-type=module -e "
  const { probeFields } = await import('$root/dist/telemetry/nvidiaSmi/probeFields.js');
  const p = probeFields(process.argv[1]);
  console.log(p.ok ? p.fields.join(',') : '');" "$smi" 2>/dev/null || true)
smi_pid=""
if [ -n "$fields" ]; then
  "$smi" --query-gpu="$fields" --format=csv -lms 50 > "$out/nvidia-smi.csv" 2> "$out/nvidia-smi.stderr.txt" &
  smi_pid=$!
else
  echo "gpu-smoke: $smi does not answer --help-query-gpu: no raw log" >&2
fi

# moebench's output is shown and kept; its exit code survives the pipe through a file
{ node "$cli" run "$suite" --out "$out/run" "$@" 2>&1; echo $? > "$out/exit-code"; } | tee "$out/moebench.log"
rc=$(cat "$out/exit-code")
if [ -n "$smi_pid" ]; then kill "$smi_pid" 2>/dev/null || true; fi
if [ -f "$out/run/results.jsonl" ]; then
  node "$cli" report "$out/run" --out "$out/report" > "$out/report.log" 2>&1 || echo "gpu-smoke: report failed" >&2
fi
tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
echo "gpu-smoke: $out.tar.xz ($(du -h "$out.tar.xz" | cut -f1)), moebench run exit $rc"
exit "$rc"
