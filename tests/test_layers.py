"""Dropout modules: statistics of masks and outputs, exact formulas, validation."""

import math

import numpy as np
import pytest
import torch

from dropviz import numpy_dropout as reference
from dropviz.layers import (
    Dropout,
    GaussianDropout,
    _chunk_size,
    apply_max_norm,
    check_keep_p,
    dropconnect_gaussian_inference,
    dropconnect_linear,
)


def five_sigma(n: int, keep_p: float) -> float:
    return 5 * math.sqrt(keep_p * (1 - keep_p) / n)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, float("nan"), float("inf")])
def test_invalid_keep_p_names_value_and_range(bad):
    for make in (lambda: Dropout(bad), lambda: GaussianDropout(bad), lambda: check_keep_p(bad)):
        with pytest.raises(ValueError) as error:
            make()
        assert "(0, 1]" in str(error.value)
        assert repr(bad) in str(error.value) or str(bad) in str(error.value)


def test_keep_p_one_is_exactly_identity_and_draws_nothing():
    x = torch.randn(8, 5)
    generator = torch.Generator().manual_seed(0)
    state = generator.get_state()
    for layer in (Dropout(1.0), Dropout(1.0, "weight-scaling"), GaussianDropout(1.0)):
        layer.generator = generator
        for training in (True, False):
            layer.train(training)
            assert layer(x) is x
    assert torch.equal(generator.get_state(), state)


@pytest.mark.parametrize("keep_p", [0.2, 0.5, 0.8])
def test_inverted_dropout_statistics_match_numpy_reference(keep_p):
    n = 200_000
    x = torch.full((n,), 3.0)
    layer = Dropout(keep_p)
    layer.generator = torch.Generator().manual_seed(1)
    layer.record_mask = True
    y = layer(x)
    mask = layer.last_mask.numpy()
    assert abs(mask.mean() - keep_p) < five_sigma(n, keep_p)
    # kept units are scaled by exactly 1/keep_p, dropped ones are exactly 0
    assert torch.allclose(y[layer.last_mask], torch.tensor(3.0 / keep_p))
    assert torch.all(y[~layer.last_mask] == 0)
    ref = reference.dropout(np.full(n, 3.0), keep_p, np.random.default_rng(1))
    expected_var = 9.0 * (1 - keep_p) / keep_p
    for sample in (y.numpy(), ref):
        assert abs(sample.mean() - 3.0) < 5 * math.sqrt(expected_var / n)
        assert abs(sample.var() / expected_var - 1) < 0.03


def test_both_implementations_give_the_same_expected_output():
    keep_p, n = 0.6, 100_000
    x = torch.linspace(-2, 2, 7).repeat(n, 1)
    inverted, original = Dropout(keep_p, "inverted"), Dropout(keep_p, "weight-scaling")
    inverted.generator = torch.Generator().manual_seed(2)
    original.generator = torch.Generator().manual_seed(3)
    train_inverted, train_original = inverted(x).mean(0), original(x).mean(0)
    inverted.eval(), original.eval()
    test_inverted, test_original = inverted(x[:1])[0], original(x[:1])[0]
    # inverted: E[train] = x = test; weight-scaling: E[train] = keep_p x = test
    assert torch.allclose(test_inverted, x[0])
    assert torch.allclose(test_original, keep_p * x[0])
    tolerance = 5 * x[0].abs() * math.sqrt((1 - keep_p) / keep_p / n) + 1e-6
    assert torch.all((train_inverted - test_inverted).abs() <= tolerance / 1)
    assert torch.all((train_original - test_original).abs() <= tolerance * keep_p + 1e-6)
    # the two nets differ only by the constant 1/keep_p at train time, so their
    # test-time outputs, relative to the training-time scale, agree
    assert torch.allclose(test_original / keep_p, test_inverted)


def test_gaussian_dropout_matches_inverted_bernoulli_moments():
    keep_p, n = 0.5, 200_000
    layer = GaussianDropout(keep_p)
    layer.generator = torch.Generator().manual_seed(4)
    layer.record_mask = True
    layer(torch.ones(n))
    noise = layer.last_mask
    assert abs(noise.mean().item() - 1.0) < 0.01
    assert abs(noise.var().item() - (1 - keep_p) / keep_p) < 0.02
    layer.eval()
    x = torch.randn(3)
    assert torch.equal(layer(x), x)


def test_dropout_mask_recording_costs_nothing_when_off():
    layer = Dropout(0.5)
    layer(torch.ones(4, 4))
    assert layer.last_mask is None


def _explicit_dropconnect(x, weight, bias, masks, scale):
    return torch.einsum("boi,bi->bo", masks * weight, x) * scale + bias


def test_per_example_dropconnect_forward_and_gradients_match_explicit_masks():
    torch.manual_seed(0)
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(4, dtype=torch.float64, requires_grad=True)

    def run():
        generator = torch.Generator().manual_seed(7)
        return dropconnect_linear(x, weight, bias, 0.5, scaling="inverted", generator=generator)[0]

    assert torch.autograd.gradcheck(lambda *_: run(), (x, weight, bias))
    out = run()
    assert out.shape == (6, 4)
    # same generator seed -> same masks -> same output: the run is reproducible
    assert torch.equal(out, run())


def test_per_example_masks_are_independent_per_example_and_per_batch_masks_are_shared():
    x = torch.ones(64, 10).repeat(1, 1)
    weight = torch.ones(3, 10)
    generator = torch.Generator().manual_seed(1)
    per_example, _ = dropconnect_linear(x, weight, None, 0.5, scaling="weight-scaling", generator=generator)
    per_batch, mask = dropconnect_linear(
        x, weight, None, 0.5, scaling="weight-scaling", per_example=False, generator=generator, record=True
    )
    # with all-ones inputs/weights each output counts the kept weights of its row
    assert len({tuple(row.tolist()) for row in per_example}) > 32
    assert len({tuple(row.tolist()) for row in per_batch}) == 1
    assert torch.equal(per_batch[0], mask.float().sum(1))


@pytest.mark.parametrize("keep_p", [0.3, 0.5, 0.9])
def test_dropconnect_mask_density_and_unbiased_output(keep_p):
    n = 4000
    x = torch.ones(n, 20)
    weight = torch.ones(5, 20)
    generator = torch.Generator().manual_seed(3)
    out, mask = dropconnect_linear(x, weight, None, keep_p, scaling="inverted", generator=generator, record=True)
    kept_fraction = out * keep_p / 20  # per example: fraction of kept weights of a row
    assert abs(kept_fraction.mean().item() - keep_p) < five_sigma(n * 100, keep_p)
    # inverted scaling: E[output] = W x = 20
    assert abs(out.mean().item() - 20.0) < 0.1
    assert mask.shape == (5, 20)
    assert mask.dtype == torch.bool


def test_recorded_dropconnect_mask_is_the_one_used_for_the_first_example():
    x = torch.zeros(3, 6)
    x[0] = torch.arange(1.0, 7.0)
    weight = torch.eye(6)
    out, mask = dropconnect_linear(
        x, weight, None, 0.5, scaling="weight-scaling", generator=torch.Generator().manual_seed(11), record=True
    )
    assert torch.equal(out[0], (mask.float() * weight) @ x[0])


def test_dropconnect_memory_is_bounded_by_chunking():
    # a 1024x1024 layer processes only a few examples' masks at a time
    assert _chunk_size(1024, 1024) * 1024 * 1024 <= 1 << 22
    assert _chunk_size(10, 10) >= 128


def test_gaussian_moment_matching_inference_has_the_dropconnect_moments():
    torch.manual_seed(0)
    weight = torch.randn(3, 4)
    v = torch.randn(1, 4)
    keep_p = 0.7
    out = dropconnect_gaussian_inference(
        v, weight, None, keep_p, lambda u: u, 200_000, torch.Generator().manual_seed(0), scaling="weight-scaling"
    )
    squared = dropconnect_gaussian_inference(
        v, weight, None, keep_p, lambda u: u * u, 200_000, torch.Generator().manual_seed(0), scaling="weight-scaling"
    )
    mean = keep_p * (v @ weight.T)
    var = keep_p * (1 - keep_p) * ((v * v) @ (weight * weight).T)
    assert torch.allclose(out, mean, atol=0.02)
    assert torch.allclose(squared - out**2, var, rtol=0.03, atol=0.01)


def test_max_norm_projects_only_rows_above_c():
    weight = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    apply_max_norm(weight, 2.0)
    assert torch.allclose(weight[0], torch.tensor([1.2, 1.6]))
    assert torch.allclose(weight[1], torch.tensor([0.3, 0.4]))
    assert torch.equal(weight[2], torch.zeros(2))
