"""The SCALE section: the core checks at CelebA size (64 x 64 x 3 inputs, latents up to 2048).

One module per experiment, each reading its sizes from :mod:`~toyvae.experiments.scale.plans`
(``PLANS[profile]``; QUICK runs the same code at CPU size) and caching its runs per plan:

* :mod:`~toyvae.experiments.scale.sphere_hd` - BS20 Theorem 1 with trained linear F-VAEs on the
  sphere S_{D-1}(sqrt D), D up to 12288, latents up to 2048;
* :mod:`~toyvae.experiments.scale.linear_crops` - NL26 eqs. 44-46, Theorem 41 and rate matching
  with linear VAEs on flattened photo crops (n up to 12288, d up to 2048), pixel and edge metrics;
* :mod:`~toyvae.experiments.scale.conv_crops` - the conv VAE on photo crops: BS20 Table 2's F / LS /
  LV decoders and NL26 claims 1-2 with a fixed feature network;
* :mod:`~toyvae.experiments.scale.device` - the device, precision and memory every claim records;
* :mod:`~toyvae.experiments.scale.measure` - the claims' per-seed evidence, numbers and figure data.
"""

from toyvae.experiments.scale import conv_crops, device, linear_crops, plans, sphere_hd
from toyvae.experiments.scale import measure
from toyvae.experiments.scale.plans import PLANS, ConvPlan, LinearPlan, ScalePlan, SpherePlan, dry_run, plan

__all__ = ["PLANS", "ScalePlan", "SpherePlan", "LinearPlan", "ConvPlan", "plan", "dry_run", "plans", "sphere_hd",
           "linear_crops", "conv_crops", "device", "measure"]
