"""Co-adaptation measures and model averaging on constructed inputs with known answers."""

import math

import numpy as np
import pytest
import torch

from dropviz import analysis
from dropviz.config import RunConfig
from dropviz.data import load_dataset
from dropviz.models import MLP
from dropviz.train import StateSnapshot

torch.set_num_threads(1)


# --- correlation and DeCov ------------------------------------------------------------


def test_duplicated_units_have_correlation_one():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 1))
    acts = np.hstack([base, base, 3 * base + 1, -base])
    corr = analysis.correlation_matrix(acts)
    np.testing.assert_allclose(corr, [[1, 1, 1, -1], [1, 1, 1, -1], [1, 1, 1, -1], [-1, -1, -1, 1]], atol=1e-12)
    assert analysis.mean_abs_correlation(acts) == pytest.approx(1.0)
    assert analysis.decov_normalized(acts) == pytest.approx(1.0)


def test_independent_units_have_small_correlation():
    acts = np.random.default_rng(1).normal(size=(20000, 5))
    assert analysis.mean_abs_correlation(acts) < 0.02


def test_dead_units_are_excluded_not_counted_as_zero():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(100, 1))
    acts = np.hstack([base, base, np.zeros((100, 1))])
    corr = analysis.correlation_matrix(acts)
    assert np.isnan(corr[2]).all() and np.isnan(corr[:, 2]).all()
    assert analysis.mean_abs_correlation(acts) == pytest.approx(1.0)
    stats = analysis.activation_stats(acts)
    assert stats.dead_units == 1 and stats.constant_units == 1
    assert stats.zero_fraction == pytest.approx(1 / 3)


def test_decov_by_hand_on_3x2():
    # means (3, 2); deviations [[-2, 0], [0, 2], [2, -2]]; C = [[8, -4], [-4, 8]] / 3
    acts = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 0.0]])
    np.testing.assert_allclose(analysis.covariance_matrix(acts), np.array([[8, -4], [-4, 8]]) / 3)
    assert analysis.decov(acts) == pytest.approx(0.5 * 2 * (4 / 3) ** 2)  # 16/9
    # normalized: r = -4/8 = -0.5, one pair -> 0.25
    assert analysis.decov_normalized(acts) == pytest.approx(0.25)


def test_decov_grows_with_scale_but_normalized_does_not():
    acts = np.random.default_rng(3).normal(size=(50, 4))
    acts[:, 1] += acts[:, 0]
    assert analysis.decov(10 * acts) == pytest.approx(10**4 * analysis.decov(acts))  # C ~ scale^2, DeCov ~ scale^4
    assert analysis.decov_normalized(10 * acts) == pytest.approx(analysis.decov_normalized(acts))


def test_cluster_order_groups_blocks():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(300, 1)), rng.normal(size=(300, 1))
    noise = lambda: 0.05 * rng.normal(size=(300, 1))  # noqa: E731
    # units 0, 2, 4 follow a; 1, 3 follow b; 5 is dead
    acts = np.hstack([a + noise(), b + noise(), a + noise(), b + noise(), a + noise(), np.zeros((300, 1))])
    order = analysis.cluster_order(analysis.correlation_matrix(acts))
    assert sorted(order.tolist()) == list(range(6))
    assert order[-1] == 5
    groups = ["a" if u in (0, 2, 4) else "b" for u in order[:5]]
    assert groups in (["a"] * 3 + ["b"] * 2, ["b"] * 2 + ["a"] * 3)


def test_activation_stats_counts():
    acts = np.array([[0.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    stats = analysis.activation_stats(acts)
    assert stats.zero_fraction == pytest.approx(3 / 6)
    assert stats.dead_units == 1
    np.testing.assert_allclose(stats.unit_means, [0, 2, 1])
    assert stats.mean_activation == pytest.approx(1.0)


def test_bad_shapes_are_rejected_with_a_message():
    with pytest.raises(ValueError, match="2-D"):
        analysis.decov(np.zeros(5))
    with pytest.raises(ValueError, match="at least 2 examples"):
        analysis.correlation_matrix(np.zeros((1, 3)))


# --- unit ablation -------------------------------------------------------------------


def one_unit_net() -> MLP:
    """2 inputs -> 4 hidden -> 2 classes; only hidden unit 0 carries the class (sign of x0)."""
    net = MLP(2, [4], 2)
    with torch.no_grad():
        net.linears[0].weight.zero_()
        net.linears[0].bias.zero_()
        net.linears[0].weight[0, 0] = 1.0  # unit 0 = relu(x0)
        net.linears[1].weight.zero_()
        net.linears[1].weight[1, 0] = 1.0  # class 1 logit = unit 0
        net.linears[1].bias.copy_(torch.tensor([0.5, 0.0]))  # class 0 unless unit 0 > 0.5
    return net.eval()


def test_removing_the_only_informative_unit_fails_completely():
    net = one_unit_net()
    x = torch.tensor([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.0], [-2.0, 3.0]])
    y = torch.tensor([1, 1, 0, 0])
    assert (net(x).argmax(1) == y).all()
    logits = analysis.predict_with_units_removed(net, x, 0, [0])
    # the class-1 examples are now all wrong: error 50 % = chance on this balanced set
    assert (logits.argmax(1) != y).float().mean().item() == pytest.approx(0.5)
    assert (logits.argmax(1) == 0).all()
    # removing the other units changes nothing, rescaling included
    kept = analysis.predict_with_units_removed(net, x, 0, [1, 2, 3], rescale=False)
    assert (kept.argmax(1) == y).all()


def test_ablation_curve_starts_at_the_plain_error_and_redundant_net_is_robust():
    torch.manual_seed(0)
    x = torch.randn(400, 2)
    y = (x[:, 0] > 0).long()
    # 10 identical copies of the informative unit, output averages them
    net = MLP(2, [10], 2)
    with torch.no_grad():
        net.linears[0].weight.zero_()
        net.linears[0].weight[:, 0] = 1.0
        net.linears[0].bias.zero_()
        net.linears[1].weight.zero_()
        net.linears[1].weight[1] = 0.1
        net.linears[1].bias.copy_(torch.tensor([0.0, 0.0]))
    curve = analysis.ablation_curve(net, x, y, 0, draws=3)
    assert curve.qs[0] == 0 and curve.mean_error[0] == pytest.approx(0.0)
    # with rescaling the copies keep the logit exactly: no error at any q
    assert np.allclose(curve.mean_error, 0.0)
    fragile = analysis.ablation_curve(one_unit_net(), x, y, 0, qs=[0.0, 0.75], draws=20)
    assert fragile.mean_error[1] > fragile.mean_error[0]


def test_ablation_rejects_bad_arguments():
    net = one_unit_net()
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match="hidden layer index"):
        analysis.ablation_curve(net, x, y, 1)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        analysis.ablation_curve(net, x, y, 0, qs=[1.0])


# --- model averaging ------------------------------------------------------------------


def test_mc_average_with_keep_p_one_equals_the_plain_net():
    torch.manual_seed(1)
    net = MLP(5, [8, 8], 3, method="dropout", keep_p=1.0, keep_p_input=1.0).eval()
    x = torch.randn(30, 5)
    samples = analysis.sampled_probabilities(net, x, 7, seed=3)
    plain = torch.softmax(net(x), -1)
    for sample in samples:
        torch.testing.assert_close(sample, plain)
    curve = analysis.mc_curve(net, x, plain.argmax(1), max_k=5, repeats=3)
    assert np.allclose(curve.mean_error, curve.weight_scaled_error)
    assert np.allclose(curve.std_error, 0.0)
    assert curve.k_reaching == 1


def test_mc_samples_differ_with_dropout_and_average_approaches_weight_scaling():
    torch.manual_seed(2)
    net = MLP(4, [64], 3, method="dropout", keep_p=0.5).eval()
    x = torch.randn(20, 4)
    samples = analysis.sampled_probabilities(net, x, 400, seed=0)
    assert samples.std(0).max() > 0.01
    # a linear-ish small net: the MC mean is close to the weight-scaled prediction
    ws = analysis.weight_scaled_probabilities(net, x)
    assert (samples.mean(0) - ws).abs().max() < 0.1
    # sampling does not change the model's own mode or weights
    assert not net.training


def test_mc_curve_from_samples_by_hand():
    # two examples, label 0; sample A predicts right, sample B wrong for example 0
    a = torch.tensor([[0.9, 0.1], [0.8, 0.2]])
    b = torch.tensor([[0.3, 0.7], [0.6, 0.4]])
    samples = torch.stack([a, b])
    labels = torch.tensor([0, 0])
    curve = analysis.mc_curve_from_samples(samples, labels, weight_scaled=a, repeats=50, seed=0)
    # k=1: error 0 (A) or 0.5 (B), mean about 0.25; k=2: average (0.6, 0.4) -> right, error 0
    assert 0.1 < curve.mean_error[0] < 0.4
    assert curve.mean_error[1] == 0.0 and curve.std_error[1] == 0.0
    assert curve.k_reaching == 2


def test_mc_uncertainty_zero_spread_without_noise():
    net = MLP(3, [6], 2, method="none").eval()
    result = analysis.mc_uncertainty(net, torch.randn(10, 3), samples=5)
    assert np.allclose(result.spread, 0.0)
    assert result.mean_probs.shape == (10, 2)
    noisy = MLP(3, [32], 2, method="dropout", keep_p=0.5).eval()
    assert analysis.mc_uncertainty(noisy, torch.randn(10, 3), samples=20).spread.max() > 0


def test_plane_grid_covers_points():
    xs, ys, points = analysis.plane_grid(np.array([[0.0, 0.0], [1.0, 2.0]]), resolution=5, margin=0.0)
    assert points.shape == (25, 2)
    assert xs[0] == 0 and xs[-1] == 1 and ys[-1] == 2


def test_dropconnect_inference_rules_agree_in_the_limit():
    torch.manual_seed(3)
    net = MLP(6, [32], 3, method="dropconnect", keep_p=0.5).eval()
    x = torch.randn(200, 6)
    y = torch.softmax(net(x), -1).argmax(1)  # labels = the mean network's own predictions
    result = analysis.dropconnect_inference_compare(net, x, y, gaussian_samples=(1, 256), max_k=64, repeats=3)
    assert result.mean_error == 0.0
    assert result.gaussian_error[256] < 0.15  # many samples per unit: close to the mean network here
    assert result.mc_error[-1] < result.mc_error[0] + 1e-9
    with pytest.raises(ValueError, match="DropConnect"):
        analysis.dropconnect_inference_compare(MLP(6, [4], 3), x, y)


def test_inverted_and_weight_scaling_agree_only_with_matched_learning_rates():
    dataset = load_dataset("moons", train_size=200, seed=0)
    config = RunConfig(
        dataset="moons",
        hidden=(16, 16),
        keep_p=0.5,
        keep_p_input=0.8,
        lr=0.05,
        momentum=0.9,
        batch_size=20,
        epochs=3,
        seed=0,
        device="cpu",
    )
    matched = analysis.compare_scalings(config, dataset, matched=True)
    assert matched.max_logit_diff < 1e-4
    assert matched.agreement == 1.0
    assert matched.errors["inverted"] == matched.errors["weight-scaling"]
    same_lr = analysis.compare_scalings(config, dataset, matched=False)
    assert same_lr.max_logit_diff > 1e-3  # different trajectories: equal only statistically
    with pytest.raises(ValueError, match="SGD"):
        analysis.compare_scalings(config.model_copy(update={"optimizer": "adam"}), dataset)


# --- features and frames ------------------------------------------------------------


def test_first_layer_features_shapes():
    net = MLP(16, [5], 2)
    units, images = analysis.first_layer_features(net, (4, 4), count=3)
    assert units.tolist() == [0, 1, 2] and images.shape == (3, 4, 4)
    np.testing.assert_allclose(images[1].ravel(), net.linears[0].weight[1].detach().numpy())
    with pytest.raises(ValueError, match="image"):
        analysis.first_layer_features(net, (3, 3))


def test_correlation_frames_keep_one_order():
    rng = np.random.default_rng(5)
    history = []
    for step in range(1, 21):
        acts = rng.normal(size=(40, 10))
        history.append(StateSnapshot(step, {"method": (acts,)}, {}))
    frames = analysis.correlation_frames(history, "method", 0, max_units=6, max_frames=5)
    assert frames.matrices.shape == (5, 6, 6)
    assert frames.steps[-1] == 20 and len(set(frames.units.tolist())) == 6
    series = analysis.measures_over_training(history, "method", 0)
    assert len(series["step"]) == 20 and math.isfinite(series["decov"][0])


def test_layer_measures_match_the_separate_functions():
    rng = np.random.default_rng(6)
    acts = np.maximum(rng.normal(size=(80, 12)) + rng.normal(size=(80, 1)), 0)
    acts[:, 3] = 0.0  # a dead unit
    measures = analysis.layer_measures(acts)
    assert measures["mean_abs_corr"] == pytest.approx(analysis.mean_abs_correlation(acts))
    assert measures["decov"] == pytest.approx(analysis.decov(acts))
    assert measures["decov_normalized"] == pytest.approx(analysis.decov_normalized(acts))
    stats = analysis.activation_stats(acts)
    assert measures["zero_fraction"] == pytest.approx(stats.zero_fraction)
    assert measures["dead_units"] == stats.dead_units == 1


@pytest.mark.parametrize("scaling", ["inverted", "weight-scaling"])
def test_thinned_network_equals_a_training_forward_with_the_same_masks(scaling):
    torch.manual_seed(4)
    net = MLP(5, [7, 6], 3, method="dropout", keep_p=0.5, keep_p_input=0.8, scaling=scaling).eval()
    x = torch.randn(9, 5)
    masks = analysis.draw_unit_masks(net, torch.Generator().manual_seed(1))
    assert [m.shape[0] for m in masks] == [5, 7, 6]
    # by hand: h_{l+1} = act(W_l (m_l * h_l) * scale_l + b_l)
    hidden = x
    for index, linear in enumerate(net.linears):
        keep = net.keep_ps[index]
        scale = 1 / keep if scaling == "inverted" else 1.0
        hidden = linear(hidden * masks[index].float() * scale)
        if index < 2:
            hidden = torch.relu(hidden)
    torch.testing.assert_close(analysis.thinned_logits(net, x, masks), hidden, rtol=1e-5, atol=1e-6)
