"""Many small runs trained as one stacked net, each member giving the numbers of its own lone run.

A classroom's runs are K copies of one small MLP shape. Nets this small cost per-step overhead
(Python, dispatch), not arithmetic, so a :class:`Cohort` stacks the members' method nets and twins
into (slots, out, in) weights and does one batched forward, backward and SGD update for all of them
(on :class:`~dropviz.stacked_mlp.StackedMLP`, the core it shares with the p sweep).
Each member is a :class:`CohortTrainer`, an ordinary :class:`~dropviz.train.Trainer` that keeps its
own seed, data, batch order, mask generator, keep probabilities, step counter and evaluation
schedule, and emits exactly the events a lone Trainer emits. Only the arithmetic moves: while a
member is stacked, its weights and momentum live in the cohort; when it leaves (done, paused,
stopped, detached) they are written back into its own nets and optimizers, so it goes on alone as
a plain Trainer from where it was.

Exactness: masks are drawn member by member from each member's own generator with the lone run's
calls and shapes, and per-member SGD with momentum is elementwise, so a member differs from its
lone run only by the order in which batched kernels sum (about 1e-6 after thousands of steps).
"""

from .stack import Cohort
from .trainer import COHORT_METHODS, EVAL_CHUNK_ELEMENTS, MAX_COHORT_PARAMETERS, CohortTrainer, cohort_key

__all__ = ["COHORT_METHODS", "EVAL_CHUNK_ELEMENTS", "MAX_COHORT_PARAMETERS", "Cohort", "CohortTrainer", "cohort_key"]
