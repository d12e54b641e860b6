"""The mathematics of dropout on plain numpy arrays (no torch, no UI).

Modules (this package re-exports every public name)
---------------------------------------------------
* :mod:`.regularizer` -- Baldi & Sadowski (2013): the expected dropout gradient of one
  linear unit is the gradient of a regularized ensemble error; Monte-Carlo check of it.
* :mod:`.ridge` -- linear regression (Srivastava et al. 2014, section 9.1): dropout on the
  inputs is ridge regression with a data-dependent penalty; SGD with fresh masks
  converges to the closed form.
* :mod:`.masks` -- dropout vs DropConnect masks and how many sub-networks each defines.
* :mod:`.weight_scaling` -- for a logistic unit the normalized weighted geometric mean of
  all 2^n sub-networks equals the weight-scaled network exactly; Gaussian dropout and
  DropConnect moment matching.
* :mod:`.checks` (shared checks, size caps), :mod:`.inputs` (the Theory page's typed vectors).

``keep_p`` / ``keep_ps`` is always the probability of KEEPING a unit (the
paper's p). Every formula is in the docstring of the function computing it.
"""

from .checks import MAX_ENUMERATED_UNITS, MAX_MC_ELEMENTS, MAX_SUBNETWORK_EXPONENT, Z_99
from .inputs import parse_vector
from .masks import (
    SubnetworkCount,
    count_subnetworks,
    effective_weight_mask_dropconnect,
    effective_weight_mask_dropout,
    format_big_int,
)
from .regularizer import (
    MCGradient,
    ensemble_gradient,
    expected_dropout_gradient,
    mc_dropout_gradient,
    regularization_strength,
    regularized_error,
    test_weight_penalty,
)
from .ridge import (
    SGDResult,
    dropout_ridge_solution,
    dropout_ridge_solution_rescaled,
    expected_masked_loss,
    gamma_squared,
    least_squares_solution,
    make_regression_problem,
    mc_masked_loss,
    sgd_dropout_regression,
    shrink_ratios,
)
from .weight_scaling import (
    Subnetworks,
    arithmetic_mean_output,
    dropconnect_moments,
    enumerate_subnetworks,
    gaussian_dropout_sigma2,
    gaussian_vs_bernoulli_moments,
    nwgm,
    weight_scaled_output,
)

__all__ = [
    "Z_99",
    "MAX_MC_ELEMENTS",
    "MAX_ENUMERATED_UNITS",
    "MAX_SUBNETWORK_EXPONENT",
    "regularization_strength",
    "test_weight_penalty",
    "ensemble_gradient",
    "expected_dropout_gradient",
    "regularized_error",
    "MCGradient",
    "mc_dropout_gradient",
    "make_regression_problem",
    "gamma_squared",
    "least_squares_solution",
    "dropout_ridge_solution",
    "dropout_ridge_solution_rescaled",
    "shrink_ratios",
    "expected_masked_loss",
    "mc_masked_loss",
    "SGDResult",
    "sgd_dropout_regression",
    "effective_weight_mask_dropout",
    "effective_weight_mask_dropconnect",
    "format_big_int",
    "SubnetworkCount",
    "count_subnetworks",
    "Subnetworks",
    "enumerate_subnetworks",
    "nwgm",
    "weight_scaled_output",
    "arithmetic_mean_output",
    "gaussian_dropout_sigma2",
    "gaussian_vs_bernoulli_moments",
    "dropconnect_moments",
    "parse_vector",
]
