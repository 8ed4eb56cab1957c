# Sourced by scripts/gpu_full.sh and scripts/gpu_scale.sh (needs $OUT): one step of a device command.
run() {  # one step: its output into log.txt, its exit status reported, never stopping the script
  echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$OUT/log.txt"
  local start=$SECONDS
  "$@" 2>&1 | tee -a "$OUT/log.txt"
  local rc=${PIPESTATUS[0]}
  echo "== exit $rc after $((SECONDS - start)) s" | tee -a "$OUT/log.txt"
}
