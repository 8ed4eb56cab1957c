"""``toyvae bench --scale``: images per second of one training step of the SCALE conv VAE, in ONE run.

Model: the conv VAE of the SCALE section (:mod:`toyvae.models.conv_vae`, DCGAN-style networks of
:mod:`toyvae.models.conv`) with the F decoder (fixed sigma^2 = 1/2, i.e. summed squared error) and the
KL to N(0, I), Adam; the profile's size (``--profile full``: 64 x 64 x 3, widths 64-128-256-512,
latent 256, batch 64; ``quick``: the CPU-sized plan). Measured side by side, in ``--rounds`` rounds
(medians reported; only ratios taken in the same run mean anything on a shared machine):

1. the device's float32 matrix throughput: the best of several N x N products at full float32
   precision (N = 4096 on an accelerator, 1024 on a CPU), the peak the engine is measured against;
2. the engine: ``fit`` of the conv program, one setting, one seed, ``--steps`` steps in one compiled
   ``lax.scan`` (compilation excluded: the same call is made once before timing), crops drawn in the step;
   its achieved FLOP/s is 3 x ``conv.flops_per_example`` x images/s (the backward pass ~2 x the forward);
3. PyTorch eager and ``torch.compile``: the same architecture, loss and Adam on the same device
   (uniform random images generated on the device), in a fresh interpreter (on a CPU the best of
   torch's default threads and one thread); skipped with a message
   when torch is not installed, and ``torch.compile`` reported as failed (with its error) where it
   cannot compile (e.g. no C++ compiler on a CPU).

On GPUs float32 products run at full precision on both sides: ``jax_default_matmul_precision`` is
set to "highest" here, and PyTorch's TF32 switches are turned off. ``--layout data`` trains the
engine's model with its batch split over every visible device (``fit(layout="data")``).
Goals (issue 12): engine >= 1.0 x PyTorch compiled on the GPU; (issue 18) on the CPU >= 1.0 x PyTorch
eager at 64 x 64 and >= 1.0 x ``torch.compile`` at the quick size. Nothing here is asserted in tests.

**Profile on the CPU (issue 18, 2026-12-06; 2 cores of an AMD EPYC with AVX2, shared with other jobs
at load 5-12, so the matmul peak measured in the same run was 27-59 GFLOP/s, 78-106 at load 5:
compare within a line only).** ``benchmarks/profile_conv.py`` at 64 x 64, batch 64, each convolution layer
alone, forward + backward, vmapped over one-example calls as the model does (ms; "canonical" = the
custom-VJP convolution used until then, "lax" = plain ``lax.conv_general_dilated``, "patches" =
:func:`toyvae.models.conv_vae.conv_nhwc`'s products and slices):

    layer                    canonical    lax   patches
    down 64x64   3 -> 64        126       116      92
    down 32x32  64 -> 128       658       428     786
    down 16x16 128 -> 256       777       285     412
    down  8x8  256 -> 512      2410       470     363
    up    4x4  512 -> 256      1989      6318     560
    up    8x8  256 -> 128      2273      7087     709
    up   16x16 128 -> 64       3064      6797    1080
    up   32x32  64 -> 64       7176     19055    2142
    out  64x64  3x3, 64 -> 6   1632       908    2880
    sum (out: canonical)      20105             7776

The canonical VJP, vmapped over examples, makes every weight gradient a grouped convolution (one group
per example): 5-7x slower on the deepest layer; plain ``lax`` transposed convolutions (input dilated by
2) are slower still (2-3x canonical, 9-12x patches). Whole step, same script (one run, peak 34-39
GFLOP/s): forward 1.5 s,
forward + backward 6.2 s, the Adam update 0.05 s (1%), one step inside ``lax.scan`` 9.8 s: the
products and their data movement are the step; Adam and the scan's bookkeeping are not. Inside the
scan the step costs 1.1-1.6x the same step jitted alone (noisy: the machine was shared), which is
the part still unexplained. The 3 x 3 output layer alone inside a 3-step ``lax.scan``: plain ``lax``
22.4 s per step against 0.5 s jitted alone (the naive loop of jax issue 12868). At the quick size
(16 x 16, widths 8-16, batch 16) the step inside the scan took canonical 25 ms, lax 10 ms, the new default 4 ms.

Engine before and after (``--profile full --steps 4``, one round each, minutes apart at load 5-8):
1.9 images/s = 0.077 x peak before, 6.5 images/s = 0.244 x peak after; in one run with PyTorch
(load 6-8): engine 4.9 images/s (0.148 x peak), torch eager 6.2 (0.187 x peak), torch.compile 18.0
(0.546 x peak). What is left: every product reads its patches from memory (a 32 x 32 x 64 layer's
patches are 64 MB per batch of 64, written forward and again as their gradient backward), which on
two cores is bandwidth, not arithmetic; PyTorch's oneDNN convolutions never build them. The numbers
of the final side-by-side run (README's speed section; load 4-6, peak 78-84 GFLOP/s): 64 x 64, engine
13.3 images/s (0.26 x peak), eager 26.5 (0.51), torch.compile 24.5 (0.47): 0.50 x eager; quick size,
engine 4137 images/s, 1.41 x eager and 1.19 x torch.compile.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main", "config_for", "matmul_flops", "engine_images_per_s", "torch_images_per_s"]


def config_for(profile: str, *, batch: int | None = None, tiny: bool = False) -> dict:
    """The benchmark's model: the conv plan of ``profile`` (``tiny``: 8 x 8 crops, widths (4, 8), for tests)."""
    from toyvae.experiments.scale.plans import PLANS
    from toyvae.profiles import Profile

    p = PLANS[Profile(profile)].conv
    cfg = {"size": p.size, "widths": list(p.widths), "latent": p.latent, "batch": batch or p.batch, "lr": p.lr}
    if tiny:
        cfg.update(size=8, widths=[4, 8], latent=4, batch=batch or 4)
    return cfg


def matmul_flops(n: int | None = None, repeats: int = 5) -> float:
    """Float32 FLOP/s of the best of ``repeats`` N x N products at full precision on JAX's default device."""
    import jax
    import jax.numpy as jnp

    if n is None:
        n = 1024 if jax.default_backend() == "cpu" else 4096
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    product = jax.jit(lambda x, y: jnp.dot(x, y, precision=jax.lax.Precision.HIGHEST))
    product(a, b).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best


def engine_images_per_s(cfg: dict, steps: int, layout: str = "models") -> float:
    """Images/s of the engine's training step (compilation excluded: the identical fit runs once before)."""
    import jax
    import jax.numpy as jnp

    from toyvae.data import photos
    from toyvae.engine import fit
    from toyvae.experiments.scale import conv_crops
    from toyvae.models import conv
    from toyvae.models.gaussian import Mode

    config = conv.ConvConfig(image_size=cfg["size"], widths=tuple(cfg["widths"]), latent_dim=cfg["latent"])
    program = conv_crops.base_program(config, cfg["batch"], steps, cfg["lr"])
    knobs = {"mode": jnp.asarray([int(Mode.GIVEN)], jnp.int32), "sigma": jnp.asarray([conv_crops.MSE_SIGMA]),
             "lam": jnp.zeros(1), "beta": jnp.ones(1)}
    shared = {"stack": photos.training_stack(size=cfg["size"])}

    def once():
        result = fit(program, knobs, (0,), shared, steps=steps, chunk=steps, record_every=math.gcd(steps, 10),
                     progress=False, layout=layout, group=1)
        jax.block_until_ready(result.params)

    once()  # compiles
    start = time.perf_counter()
    once()
    return steps * cfg["batch"] / (time.perf_counter() - start)


def torch_images_per_s(cfg: dict, steps: int, compiled: bool = False, threads: int | None = None) -> dict:
    """{"images_per_s": ..., "device": ...} of the PyTorch reference, or {"skipped": reason}.

    Timed over at least ``steps`` steps and one second. ``threads``: torch's intra-op threads on a CPU
    (None: its default); :func:`main` takes the best of the default and one thread, as ``toyvae bench``
    does, because a multi-threaded CPU kernel can spin-wait badly on a busy machine.
    """
    try:
        import torch
    except ImportError:
        return {"skipped": "torch is not installed (pip install torch)"}
    from torch import nn

    if threads is not None:
        torch.set_num_threads(threads)
    device = "cuda" if torch.cuda.is_available() and os.environ.get("JAX_PLATFORMS", "cpu") != "cpu" else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    size, widths, latent, batch = cfg["size"], cfg["widths"], cfg["latent"], cfg["batch"]
    bottom = size // 2 ** len(widths)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            enc, cin = [], 3
            for w in widths:
                enc += [nn.Conv2d(cin, w, 4, 2, 1), nn.LeakyReLU(0.2)]
                cin = w
            self.enc = nn.Sequential(*enc, nn.Flatten(), nn.Linear(widths[-1] * bottom * bottom, 2 * latent))
            self.lift = nn.Linear(latent, widths[-1] * bottom * bottom)
            ups = list(reversed(widths)) + [widths[0]]
            dec = []
            for a, b in zip(ups[:-1], ups[1:]):
                dec += [nn.ConvTranspose2d(a, b, 4, 2, 1), nn.LeakyReLU(0.2)]
            self.dec = nn.Sequential(*dec, nn.Conv2d(widths[0], 6, 3, 1, 1))

        def forward(self, x):
            m, log_s = self.enc(x - 0.5).chunk(2, dim=1)
            z = m + torch.exp(0.5 * log_s) * torch.randn_like(m)
            h = nn.functional.leaky_relu(self.lift(z), 0.2).view(-1, widths[-1], bottom, bottom)
            mu = 0.5 + self.dec(h)[:, :3]
            nll = ((x - mu) ** 2).sum(dim=(1, 2, 3))  # sigma^2 = 1/2, constants dropped
            kl = 0.5 * (m**2).sum(1) + 0.5 * (log_s.exp() - 1 - log_s).sum(1)
            return (nll + kl).mean()

    model = VAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])

    def step():
        x = torch.rand(batch, 3, size, size, device=device)
        loss = model(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    if compiled:
        try:
            step = torch.compile(step)
            step()
        except Exception as err:  # noqa: BLE001 - report why, do not fail the benchmark
            return {"skipped": f"torch.compile failed: {type(err).__name__}: {str(err).splitlines()[0][:200]}"}

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(3):
        step()
    sync()
    n, start = 0, time.perf_counter()
    while n < steps or time.perf_counter() - start < 1.0:
        step()
        n += 1
        if n % 10 == 0:
            sync()
    sync()
    return {"images_per_s": n * batch / (time.perf_counter() - start), "device": device, "torch": torch.__version__}


def _in_subprocess(cfg: dict, steps: int, compiled: bool, threads: int | None = None) -> dict:
    """The PyTorch reference in a fresh interpreter (its threads cannot compete with the engine's)."""
    code = ("import json, sys, toyvae.bench.scale as b; t = json.loads(sys.argv[4]); "
            "print(json.dumps(b.torch_images_per_s(json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == '1', t)))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(cfg), str(steps), "1" if compiled else "0",
                          json.dumps(threads)], capture_output=True, text=True)
    if out.returncode != 0:
        last = out.stderr.strip().splitlines()[-1][:200] if out.stderr.strip() else f"exit {out.returncode}"
        return {"skipped": f"reference crashed: {last}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _torch_best(cfg: dict, steps: int, compiled: bool, cpu: bool) -> dict:
    """The reference; on a CPU the best of torch's default threads and one thread."""
    results = [_in_subprocess(cfg, steps, compiled)] + ([_in_subprocess(cfg, steps, compiled, 1)] if cpu else [])
    measured = [r for r in results if "images_per_s" in r]
    return max(measured, key=lambda r: r["images_per_s"]) if measured else results[0]


def _positive(text: str) -> int:
    from toyvae.cli._args import positive_int

    return positive_int(text)


def _parser() -> argparse.ArgumentParser:
    from toyvae.cli._args import OneLineParser  # a usage mistake: one line on stderr, exit 2

    p = OneLineParser(prog="toyvae bench --scale", description=__doc__.splitlines()[0])
    p.add_argument("--profile", choices=("quick", "full"), default="quick", help="the model size (the SCALE plan's)")
    p.add_argument("--steps", type=_positive, default=None, help="timed steps (default 50 quick, 100 full)")
    p.add_argument("--batch", type=_positive, default=None, help="images per step (default: the plan's)")
    p.add_argument("--rounds", type=_positive, default=3, help="rounds of measurements; medians are reported")
    p.add_argument("--layout", choices=("models", "data"), default="models", help="the engine's device layout")
    p.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    p.add_argument("--tiny", action="store_true", help="a tiny model (for tests)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch references")
    return p


def main(argv=None) -> dict:
    """Run the benchmark, print its report and return the numbers."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.json:  # checked before any work: a path that cannot be written is a usage error (one line, exit 2)
        from toyvae.cli._args import file_problem

        if problem := file_problem(Path(args.json)):
            parser.error(f"--json: {problem}")
    import jax

    from toyvae.experiments.scale.device import device_record
    from toyvae.models import conv

    jax.config.update("jax_default_matmul_precision", "highest")
    cfg = config_for(args.profile, batch=args.batch, tiny=args.tiny)
    steps = args.steps or (5 if args.tiny else 50 if args.profile == "quick" else 100)
    config = conv.ConvConfig(image_size=cfg["size"], widths=tuple(cfg["widths"]), latent_dim=cfg["latent"])
    flops_per_image = 3 * conv.flops_per_example(config)
    record = device_record()
    print(f"model: conv VAE (F decoder) {cfg['size']}x{cfg['size']}x3, widths {cfg['widths']}, latent {cfg['latent']}, "
          f"batch {cfg['batch']}, Adam; {flops_per_image / 1e6:.1f} MFLOP per image per step")
    print(f"device: {record['device_count']} x {record['device_kind']} ({record['platform']}), float32 products at "
          f"'highest' precision; load average {os.getloadavg()[0]:.1f}")
    has_torch = importlib.util.find_spec("torch") is not None and not args.no_torch
    rows = []
    for r in range(args.rounds):
        peak = matmul_flops()
        engine = engine_images_per_s(cfg, steps, args.layout)
        cpu = record["platform"] == "cpu"
        absent = {"skipped": "--no-torch" if args.no_torch else "torch is not installed (pip install torch)"}
        eager = _torch_best(cfg, steps, False, cpu) if has_torch else absent
        compiled = _torch_best(cfg, steps, True, cpu) if has_torch else absent
        rows.append((peak, engine, eager.get("images_per_s", np.nan), compiled.get("images_per_s", np.nan)))
        print(f"round {r + 1}: matmul peak {peak / 1e9:8.1f} GFLOP/s; engine {engine:9.1f} images/s; torch eager "
              f"{rows[-1][2]:9.1f}; torch.compile {rows[-1][3]:9.1f}")
    peak, engine, eager_rate, compiled_rate = (float(np.median(c)) for c in zip(*rows))
    ratio = lambda i, j: float(np.median([row[i] / row[j] for row in rows]))  # noqa: E731
    achieved = engine * flops_per_image
    print(f"engine             : {engine:9.1f} images/s = {achieved / 1e9:.1f} GFLOP/s = "
          f"{ratio(1, 0) * flops_per_image:.3f} x the float32 matmul peak ({peak / 1e9:.1f} GFLOP/s)")
    out = {"config": cfg, "steps": steps, "rounds": args.rounds, "layout": args.layout, "device": record,
           "flops_per_image": flops_per_image, "matmul_peak_flops": peak, "engine_images_per_s": engine,
           "engine_fraction_of_peak": ratio(1, 0) * flops_per_image}
    for name, i, result in (("torch eager", 2, eager), ("torch.compile", 3, compiled)):
        if "skipped" in result:
            print(f"{name:19s}: skipped ({result['skipped']})")
            out[name.replace(" ", "_").replace(".", "_")] = {"skipped": result["skipped"]}
        else:
            print(f"{name:19s}: {float(np.median([row[i] for row in rows])):9.1f} images/s = "
                  f"{ratio(i, 0) * flops_per_image:.3f} x peak; engine / {name} = {ratio(1, i):.2f}")
            out[name.replace(" ", "_").replace(".", "_")] = {"images_per_s": float(np.median([row[i] for row in rows])),
                                                             "engine_ratio": ratio(1, i),
                                                             "fraction_of_peak": ratio(i, 0) * flops_per_image}
    print("(medians over rounds; ratios are medians of per-round ratios; goal on the GPU: engine >= 1.0 x "
          "torch.compile)")
    if args.json:  # complete or absent, even on Ctrl-C
        from toyvae.cli._interrupt import write_text_atomically

        write_text_atomically(args.json, json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
