"""The evidence layer: rules as tested objects, and one verdict function.

Experiments measure (per-seed arrays with names), claims declare their rules, and
:func:`decide` turns the rules' judgements into one of the four verdict words by a documented truth
table (:data:`TRUTH_TABLE`). Nothing here imports JAX or matplotlib: a saved run's evidence can be
re-judged by today's rules without training (:func:`rejudge`).
"""

from toyvae.evidence.decide import TRUTH_TABLE, VERDICTS, Decision, Rules, decide, holm
from toyvae.evidence.power import equivalence_power, noninferiority_power, ordering_power, seeds_for_power
from toyvae.evidence.rules import (
    Equivalence,
    Exact,
    NonInferiority,
    Ordering,
    Rule,
    Settled,
    Towards,
    Within,
    values_of,
)
from toyvae.evidence.states import Judgement, Role, State
from toyvae.evidence.bracketed import Bracketed  # noqa: E402 (imports rules)

__all__ = [
    "Bracketed", "Decision", "Equivalence", "Exact", "Judgement", "NonInferiority", "Ordering", "Role", "Rule", "Rules",
    "Settled", "State", "Towards", "TRUTH_TABLE", "VERDICTS", "Within", "decide", "equivalence_power", "holm",
    "noninferiority_power", "ordering_power", "seeds_for_power", "values_of",
]
