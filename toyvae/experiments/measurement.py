"""What an experiment's ``measure_*`` functions return: named per-seed evidence, other numbers, figure data.

Experiments measure; claims' rules judge (:mod:`toyvae.evidence`); plots draw (:mod:`toyvae.plots`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Measurement"]


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One claim's measurements from one run.

    Attributes:
        evidence: name -> float64 array whose leading axis is the seed (what the claim's rules read; stored
            in the JSON run so that a saved run can be re-judged without training).
        numbers: other reported numbers (JSON-able): means, spreads, settings, the plan.
        figure_data: the small JSON-able numbers the claim's plot draws.
    """

    evidence: Mapping[str, Any]
    numbers: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    figure_data: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", {str(k): np.asarray(v, dtype=np.float64) for k, v in self.evidence.items()})
