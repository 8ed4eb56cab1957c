#!/usr/bin/env bash
# The SCALE section on one GPU machine, as ONE command, run from the repository root:
#
#     bash scripts/gpu_scale.sh              # full profile on the GPU (CelebA size), about 6-8 minutes on an H200
#     bash scripts/gpu_scale.sh --dry-run    # the same command on the CPU at the quick size (about 3-5 minutes)
#
# Writes to $OUT (default out/scale) eight files, the most the device tool's $OUT returns: log.txt (everything
# printed, `toyvae env` first), scale_sphere.json, scale_linear.json, scale_conv.json (the verdict runs, format
# toyvae-report/1: provenance with device and matmul precision, and device, precision and peak memory in every
# claim's "measured"), report_sphere.tgz, report_linear.tgz, report_conv.tgz (the HTML/Markdown verification
# reports with their figures, one archive per group, written as soon as the group ends) and bench_scale.json
# (images/s against PyTorch eager and torch.compile, fraction of the float32 matmul peak).
#
# No install: the package runs from this checkout (PYTHONPATH); the GPU image's own jax (a CUDA build),
# optax, equinox, scikit-learn, matplotlib, pillow, scipy, sympy and tqdm are used as they are. On another
# machine: python3 -m pip install -e . "jax[cuda12]" (or `pip install --no-deps -e .` where jax is there).
#
# Float32 products at full precision (no TF32): JAX_DEFAULT_MATMUL_PRECISION=highest (recorded by
# `toyvae env` and in every claim), NVIDIA_TF32_OVERRIDE=0 for cuBLAS, and the benchmark turns PyTorch's TF32 off.
# The three claim groups run as separate processes (each shares its trained models between its claims),
# so that a run stopped by the lease's time limit still returns the groups that finished; the longest
# (the conv VAE) runs last, after the benchmark.
set -uo pipefail

OUT=${OUT:-out/scale}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export JAX_DEFAULT_MATMUL_PRECISION=highest
export NVIDIA_TF32_OVERRIDE=0
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # so that memory_stats' peak is what the runs used
PROFILE=--full
BENCH_PROFILE=full
BENCH_ROUNDS=1  # a lent GPU is not shared, and each round recompiles torch.compile's step in a fresh process
if [ "${1:-}" = "--dry-run" ]; then
  export JAX_PLATFORMS=${JAX_PLATFORMS:-cpu}
  export TOYVAE_SCALE_DRY_RUN=1  # the full profile runs the quick plan (toyvae.experiments.scale.plans)
  BENCH_PROFILE=quick
  BENCH_ROUNDS=3  # a shared CPU: medians of three rounds
else
  export JAX_PLATFORMS=${JAX_PLATFORMS:-cuda}
fi
PY=${PYTHON:-python3}

# shellcheck source=scripts/_run_step.sh
. "$(dirname "$0")/_run_step.sh"  # run: one step, logged, its exit status reported, never stopping the script

group() {  # one claim group: its verdict run, then its report folder packed into one file
  local name=$1
  shift
  run $PY -m toyvae verify --only "$@" $PROFILE --no-progress --json "$OUT/scale_$name.json" --report "$OUT/report_$name"
  tar czf "$OUT/report_$name.tgz" -C "$OUT" "report_$name" && rm -rf "$OUT/report_$name"
}

: > "$OUT/log.txt"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >> "$OUT/log.txt"
run $PY -m toyvae env
group sphere SCALE.T1
group linear SCALE.T46 SCALE.RateMatch
run $PY -m toyvae bench --scale --profile $BENCH_PROFILE --rounds $BENCH_ROUNDS --json "$OUT/bench_scale.json"
group conv SCALE.T2tab SCALE.C1 SCALE.C2
ls -la "$OUT" | tee -a "$OUT/log.txt"
