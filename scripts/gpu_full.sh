#!/usr/bin/env bash
# The full (paper-scale) profile of the trained claim families on one GPU machine, as ONE command, run from the
# repository root (issue 20):
#
#     bash scripts/gpu_full.sh                   # the families a CPU cannot carry (GPU_DEFAULT below), on the GPU
#     bash scripts/gpu_full.sh toy2d sphere      # only these families, in this order
#     bash scripts/gpu_full.sh --all             # every family of the table below
#     bash scripts/gpu_full.sh --dry-run [...]   # the same command on the CPU at a tiny size (TOYVAE_FULL_DRY_RUN=1)
#
# Writes to $OUT (default out/full): log.txt (everything printed, `toyvae env` first) and, per family, as soon as
# it ends, full_<family>.json (the verdict run, format toyvae-report/1, with provenance: commit, versions, device,
# matmul precision) and report_<family>.tgz (the HTML/Markdown report with its figures). Each family is a
# separate process (`toyvae verify --only ... --full`), so a run stopped by the lease's limit still returns the
# families that finished. The SCALE section has its own command (scripts/gpu_scale.sh, one lease of its own).
#
# ORDER. The families whose claims the quick profile leaves open come first (toy2d: BS20.A2, F4, F4-recon,
# T1tab open in quick; two_stage and multirate for --all); among the rest, the longest runs last.
#
# ESTIMATES (one H100, float32 at full precision). "H100 then": the run of 2026-11-23 with earlier code
# (results/full_profile_h100/README.md; the full plans' sizes are unchanged since; F4-recon, S32, A2-KL, S43,
# MB.2stage/S5 and SL.MultiRate came later). FLOPs: 6 per multiply-add of a training step, summed over settings x
# seeds x steps x batch. These small MLPs are latency-bound on a GPU (a few % of its float32 peak: toy2d's 0.35
# PFLOP took 281 s), so the measured earlier times, not the FLOPs, set the GPU estimates; the FLOPs say which
# family dominates. "CPU": process CPU-seconds (user + sys; about the wall time alone on the two cores) measured
# on this 2-core AMD EPYC by one timed chunk per family, TOYVAE_FULL_DRY_RUN=steps/N (the FULL plan, all seeds and
# sizes, 1/N of the steps): full ~ a + N (t_N - a), a = the fixed part (compilation, evaluation, sympy), fitted
# from two N where measured (multirate: N = 50, 20), else bounded by 0 <= a < t_N (upper bound N t_N). On the
# shared cores (load 6-12 during the measurements) wall times were 2-4x the CPU-seconds.
#
#   family       claims                                        FLOPs     H100 then  H100 est.   CPU (2 cores)
#   toy2d        BS20.A2 A2-KL A2-plateaus F4 F4-recon L-VAE   0.35 PF   281 s      ~5.5 min    >= 6 h (dry run:
#                T1tab S32                                                                       ~4 GFLOP/s at load 6,
#                                                                                                <= 16 alone)
#   sphere       BS20.E-sphere E-sphere-LS T1-empirical       ~0.1 PF    225 s      ~4 min      >= 2 h (0.1 PF at
#                T1-sharp-empirical (D = 2..64, capacities)                                      <= 16 GFLOP/s; its tiny
#                                                                                                dry run: 15 min wall)
#   digits       BS20.T2tab S43 S32-water                      0.006 PF  ~300 s     ~5 min      18-24 min (N=20: 73 s)
#   two_stage    MB.2stage MB.S5 MB.Samples                    small     (new)      ~3 min      1.2-1.6 h (N=50: 114 s)
#   nl26_sl_mb   NL26.T46-trained F13 C1 C1-additive C2;       small     64 s       ~1.5 min    ~20 min (its CPU run:
#                SL.RD Surgery AggPost Samples LinRD;                                            58 min wall, niced)
#                MB.F6 Lag MI
#   multirate    SL.MultiRate                                  small     (new)      ~1 min      1.7 min (a 21 s, b 81 s)
#
# GPU_DEFAULT = toy2d then sphere: about 9.5 minutes of commands (toy2d 281 s + F4-recon and S32 ~45 s, sphere
# 225 s) plus 1-2 minutes of start-up, `toyvae env` and compilation: inside the ~12 of the 15 device minutes of
# one lease, with little to spare (if the current engine is slower than the earlier code, sphere, last, is the
# family cut). toy2d first: its claims are the ones the quick profile leaves open (BS20.A2, F4, F4-recon, T1tab);
# sphere's are all decided in quick. The other families run on the CPU (results/full_profile/README.md); digits
# would need ~5 more GPU minutes (a second lease) if its CPU run is not there. Claims added on 2026-12-06 after
# the estimates: BS20.A2-plateaus, S32-water, SL.Samples and MB.Samples reuse their family's runs (little change);
# SL.LinRD (small linear models) and NL26.C2-adv (patch VAEs at three GECO rates) train runs of their own, not timed.

# No install: the package runs from this checkout (PYTHONPATH); the GPU image's own jax (a CUDA build) and
# libraries are used as they are. Float32 products at full precision (no TF32): JAX_DEFAULT_MATMUL_PRECISION=highest
# (recorded by `toyvae env` and in the JSON's provenance), NVIDIA_TF32_OVERRIDE=0 for cuBLAS.
set -uo pipefail

declare -A CLAIMS=(
  [toy2d]="BS20.A2 BS20.A2-KL BS20.A2-plateaus BS20.F4 BS20.F4-recon BS20.L-VAE BS20.T1tab BS20.S32"
  [sphere]="BS20.E-sphere BS20.E-sphere-LS BS20.T1-empirical BS20.T1-sharp-empirical"
  [digits]="BS20.T2tab BS20.S43 BS20.S32-water"
  [nl26_sl_mb]="NL26.T46-trained NL26.F13 NL26.C1 NL26.C1-additive NL26.C2 NL26.C2-adv SL.RD SL.Surgery SL.AggPost SL.Samples SL.LinRD MB.F6 MB.Lag MB.MI"
  [two_stage]="MB.2stage MB.S5 MB.Samples"
  [multirate]="SL.MultiRate"
)
ALL_ORDER="toy2d two_stage multirate nl26_sl_mb digits sphere"  # open-in-quick first, then by length
GPU_DEFAULT="toy2d sphere"

OUT=${OUT:-out/full}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export JAX_DEFAULT_MATMUL_PRECISION=highest
export NVIDIA_TF32_OVERRIDE=0
export XLA_PYTHON_CLIENT_PREALLOCATE=false
FAMILIES=""
for arg in "$@"; do
  case "$arg" in
    --dry-run)
      export JAX_PLATFORMS=${JAX_PLATFORMS:-cpu}
      export TOYVAE_FULL_DRY_RUN=1  # every FULL plan shrunk, same code path (toyvae.profiles)
      export TOYVAE_CACHE=${TOYVAE_CACHE:-$OUT/cache}  # checkpoints apart from a real run's (also a subfolder)
      ;;
    --all) FAMILIES="$FAMILIES $ALL_ORDER" ;;
    *)
      if [ -z "${CLAIMS[$arg]+x}" ]; then echo "unknown family '$arg' (one of: ${!CLAIMS[*]})" >&2; exit 2; fi
      FAMILIES="$FAMILIES $arg"
      ;;
  esac
done
FAMILIES=${FAMILIES:-$GPU_DEFAULT}
export JAX_PLATFORMS=${JAX_PLATFORMS:-cuda}
PY=${PYTHON:-python3}

# shellcheck source=scripts/_run_step.sh
. "$(dirname "$0")/_run_step.sh"  # run: one step, logged, its exit status reported, never stopping the script

family() {  # one family: its verdict run (JSON as soon as it ends), then its report folder packed into one file
  local name=$1
  # shellcheck disable=SC2086  # the claim list splits into words on purpose
  run $PY -m toyvae verify --only ${CLAIMS[$name]} --full --no-progress --json "$OUT/full_$name.json" --report "$OUT/report_$name"
  [ -d "$OUT/report_$name" ] && tar czf "$OUT/report_$name.tgz" -C "$OUT" "report_$name" && rm -rf "$OUT/report_$name"
}

: > "$OUT/log.txt"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >> "$OUT/log.txt"
echo "== families:$FAMILIES; TOYVAE_FULL_DRY_RUN=${TOYVAE_FULL_DRY_RUN:-unset}" | tee -a "$OUT/log.txt"
run $PY -m toyvae env
for f in $FAMILIES; do family "$f"; done
ls -la "$OUT" | tee -a "$OUT/log.txt"
