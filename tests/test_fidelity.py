"""Issue 15: what the pages state must be true, and max-norm's c must be the paper's c."""
from __future__ import annotations

import pytest
import torch

from dropviz import analysis
from dropviz.config import RunConfig
from dropviz.data import load_dataset
from dropviz.models import MLP
from dropviz.train import Trainer


# --- max-norm: c is the paper's c in both implementations ----------------------------------------

def test_max_norm_radius_is_c_on_the_papers_weights():
    c = 3.0
    inverted = MLP(4, (8, 8), 2, method="dropout", keep_p=0.5, keep_p_input=0.8, scaling="inverted")
    assert inverted.max_norm_radii(c) == pytest.approx([0.8 * c, 0.5 * c])  # stored W = keep_p * W'
    weight_scaling = MLP(4, (8, 8), 2, method="dropout", keep_p=0.5, keep_p_input=0.8, scaling="weight-scaling")
    assert weight_scaling.max_norm_radii(c) == [c, c]
    dropconnect = MLP(4, (8, 8), 2, method="dropconnect", keep_p=0.5, keep_p_input=1.0, scaling="inverted")
    assert dropconnect.max_norm_radii(c) == pytest.approx([c, 0.5 * c])  # unmasked first layer: W itself
    assert MLP(4, (8, 8), 2, method="gaussian", keep_p=0.5, keep_p_input=0.8).max_norm_radii(c) == [c, c]
    assert MLP(4, (8, 8), 2).max_norm_radii(c) == [c, c]


def test_inverted_run_holds_w_over_p_to_c():
    config = RunConfig(dataset="moons", train_size=64, hidden=(16, 16), batch_size=16, epochs=3, method="dropout",
                       keep_p=0.5, keep_p_input=0.8, max_norm=0.5, lr=0.5, twin=False)
    trainer = Trainer(config)
    for _ in range(6):
        trainer.step()
    first, second = (linear.weight.norm(dim=1) for linear in trainer.models["method"].linears[:-1])
    # W / keep_p is what the paper's c bounds: the largest rows sit on the sphere of radius c
    assert (first / 0.8).max().item() == pytest.approx(0.5, abs=1e-5)
    assert (second / 0.5).max().item() == pytest.approx(0.5, abs=1e-5)


@pytest.mark.parametrize("method", ["dropout", "dropconnect"])
def test_inverted_and_weight_scaling_with_the_same_c_stay_equivalent(method):
    dataset = load_dataset("moons", train_size=200, seed=0)
    config = RunConfig(dataset="moons", hidden=(16, 16), method=method, keep_p=0.5,
                       keep_p_input=0.8 if method == "dropout" else 1.0, lr=0.2, momentum=0.9,
                       batch_size=20, epochs=3, seed=0, device="cpu", max_norm=0.6,
                       dropconnect_mask="per-batch")
    unconstrained = analysis.compare_scalings(config.model_copy(update={"max_norm": None}), dataset, matched=True)
    matched = analysis.compare_scalings(config, dataset, matched=True)
    assert matched.max_logit_diff < 1e-4 and matched.agreement == 1.0
    # the constraint bound (else the test shows nothing): the constrained nets differ from the free ones
    assert not torch.allclose(torch.as_tensor(matched.p_inverted), torch.as_tensor(unconstrained.p_inverted))
