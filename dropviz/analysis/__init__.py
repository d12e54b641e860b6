"""Co-adaptation measures and model averaging, as plain functions on arrays and models.

Two claims of the lecture are made measurable here:

1. **Dropout breaks co-adaptation.** Measures on a layer's hidden activations
   ``acts`` of shape (examples, units): Pearson correlation of units
   (:func:`correlation_matrix`, :func:`mean_abs_correlation`), DeCov
   (:func:`decov`, Cogswell et al. 2016) and its scale-free version, activation
   statistics (:func:`activation_stats`), and a functional measure on the model
   itself: the test error when a random fraction q of a layer's units is removed
   (:func:`ablation_curve`). None of them *is* co-adaptation; REFERENCE.md records
   a run where the correlation did not move while sparsity did, so they are
   shown side by side.
2. **Weight scaling approximates the average of the thinned networks.**
   :func:`mc_curve` averages k sampled thinned networks (k = 1..100) and compares
   with the deterministic weight-scaled network (the paper's Figure 11);
   :func:`compare_scalings` trains the inverted and the original (weight-scaling)
   implementation side by side; :func:`dropconnect_inference_compare` compares
   DropConnect's mean network, Gaussian moment matching and MC over masks;
   :func:`mc_uncertainty` is MC dropout's per-input spread (Gal & Ghahramani 2016).

Modules: ``coadaptation`` (claim 1, the Co-adaptation page), ``averaging`` (claim 2, the Inference
page), ``sizes`` (default sizes for both). Nothing here imports streamlit. Models are
:class:`~dropviz.models.MLP`; every function that samples takes a seed and never touches torch's global RNG.
"""

from .averaging import (
    DropConnectInference,
    MCCurve,
    ScalingComparison,
    Uncertainty,
    compare_scalings,
    draw_unit_masks,
    dropconnect_inference_compare,
    mc_average_errors,
    mc_curve,
    mc_curve_from_samples,
    mc_uncertainty,
    plane_grid,
    sampled_probabilities,
    thinned_logits,
    weight_scaled_probabilities,
)
from .coadaptation import (
    CONSTANT_TOLERANCE,
    DEFAULT_ABLATION_QS,
    AblationCurve,
    ActivationStats,
    CorrelationFrames,
    ablation_curve,
    ablation_summary,
    activation_stats,
    alive_units,
    cluster_order,
    compare_direction,
    correlation_frames,
    correlation_matrix,
    covariance_matrix,
    decov,
    decov_normalized,
    first_layer_features,
    layer_measures,
    mean_abs_correlation,
    measures_over_training,
    predict_with_units_removed,
    relative_change,
)
from .sizes import (
    BIG_NET_PARAMETERS,
    interactive_sizes,
)

__all__ = [
    "AblationCurve",
    "ActivationStats",
    "BIG_NET_PARAMETERS",
    "CONSTANT_TOLERANCE",
    "CorrelationFrames",
    "DEFAULT_ABLATION_QS",
    "DropConnectInference",
    "MCCurve",
    "ScalingComparison",
    "Uncertainty",
    "ablation_curve",
    "ablation_summary",
    "activation_stats",
    "alive_units",
    "cluster_order",
    "compare_direction",
    "compare_scalings",
    "correlation_frames",
    "correlation_matrix",
    "covariance_matrix",
    "decov",
    "decov_normalized",
    "draw_unit_masks",
    "dropconnect_inference_compare",
    "first_layer_features",
    "interactive_sizes",
    "layer_measures",
    "mc_average_errors",
    "mc_curve",
    "mc_curve_from_samples",
    "mc_uncertainty",
    "mean_abs_correlation",
    "measures_over_training",
    "plane_grid",
    "predict_with_units_removed",
    "relative_change",
    "sampled_probabilities",
    "thinned_logits",
    "weight_scaled_probabilities",
]
