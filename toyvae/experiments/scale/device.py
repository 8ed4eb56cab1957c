"""What the SCALE runs record about the machine: device, float32 matrix precision, memory.

Verdict runs on a GPU must use full float32 products (no TF32): the prepared command sets
``JAX_DEFAULT_MATMUL_PRECISION=highest`` (scripts/gpu_scale.sh), and :func:`device_record` states the
setting in every SCALE claim's ``measured`` so that a reader sees it beside the numbers (the JSON
report's provenance records it too).
"""

from __future__ import annotations

import jax

__all__ = ["device_record"]


def device_record() -> dict:
    """Platform, device kind and count, matmul precision and (on GPUs) peak memory in use, in GiB.

    ``peak_memory_gib`` is the largest ``peak_bytes_in_use`` over the devices since the process
    started (None where the backend keeps no memory statistics, as on the CPU).
    """
    devices = jax.devices()
    peaks = []
    for d in devices:
        try:
            stats = d.memory_stats()
        except Exception:  # noqa: BLE001 - some backends raise instead of returning None
            stats = None
        if stats and "peak_bytes_in_use" in stats:
            peaks.append(stats["peak_bytes_in_use"])
    precision = jax.config.jax_default_matmul_precision
    return {
        "platform": jax.default_backend(),
        "device_kind": devices[0].device_kind,
        "device_count": len(devices),
        "matmul_precision": None if precision is None else str(precision),
        "peak_memory_gib": round(max(peaks) / 2**30, 2) if peaks else None,
    }
