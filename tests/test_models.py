"""The MLP: method/twin share a parameter layout; activations capture; DropConnect inference modes."""

import pytest
import torch

from dropviz.config import RunConfig
from dropviz.models import MLP, build_model


@pytest.mark.parametrize("method", ["none", "dropout", "gaussian", "dropconnect"])
def test_method_and_twin_share_state_dict_layout(method):
    config = RunConfig(method=method, hidden=(7, 5), keep_p=0.5, keep_p_input=0.8)
    net, twin = build_model(config, 3, 2), build_model(config, 3, 2, baseline=True)
    assert list(net.state_dict()) == list(twin.state_dict())
    twin.load_state_dict(net.state_dict())
    net.eval(), twin.eval()
    x = torch.randn(4, 3)
    if method in ("none", "gaussian") or (method == "dropout"):
        # inverted dropout and Gaussian noise are identities at test time
        assert torch.allclose(net(x), twin(x))


def test_hidden_activations_shapes_and_eval_mode_restored():
    net = MLP(4, (6, 3), 2, method="dropout", keep_p=0.5)
    net.train()
    activations = net.hidden_activations(torch.randn(10, 4))
    assert [tuple(a.shape) for a in activations] == [(10, 6), (10, 3)]
    assert net.training
    assert all((a >= 0).all() for a in activations)  # ReLU


def test_weight_scaling_net_scales_at_test_time():
    net = MLP(3, (4,), 2, method="dropout", keep_p=0.5, keep_p_input=1.0, scaling="weight-scaling")
    plain = MLP(3, (4,), 2)
    plain.load_state_dict(net.state_dict())
    net.eval(), plain.eval()
    x = torch.randn(5, 3)
    hidden = torch.relu(plain.linears[0](x))
    expected = plain.linears[1](hidden * 0.5)
    assert torch.allclose(net(x), expected, atol=1e-6)


def test_dropconnect_inference_modes():
    torch.manual_seed(0)
    mean_net = MLP(3, (5,), 2, method="dropconnect", keep_p=0.5, keep_p_input=0.5, scaling="weight-scaling")
    gauss_net = MLP(
        3,
        (5,),
        2,
        method="dropconnect",
        keep_p=0.5,
        keep_p_input=0.5,
        scaling="weight-scaling",
        dropconnect_inference="gaussian",
        dropconnect_samples=256,
    )
    gauss_net.load_state_dict(mean_net.state_dict())
    mean_net.eval(), gauss_net.eval()
    x = torch.randn(8, 3)
    plain = MLP(3, (5,), 2)
    plain.load_state_dict(mean_net.state_dict())
    expected = torch.nn.functional.linear(
        torch.relu(torch.nn.functional.linear(x, 0.5 * plain.linears[0].weight, plain.linears[0].bias)),
        0.5 * plain.linears[1].weight,
        plain.linears[1].bias,
    )
    assert torch.allclose(mean_net(x), expected, atol=1e-6)
    log_probs = gauss_net(x)
    assert torch.allclose(log_probs.exp().sum(1), torch.ones(8), atol=1e-5)


def test_max_norm_leaves_output_layer_free():
    net = MLP(3, (4,), 2)
    with torch.no_grad():
        for linear in net.linears:
            linear.weight.fill_(10.0)
    net.apply_max_norm(1.0)
    assert torch.allclose(net.linears[0].weight.norm(dim=1), torch.ones(4))
    assert torch.all(net.linears[1].weight == 10.0)


def test_invalid_activation_and_keep_p_messages():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, (3,), 2, activation="swish")
    with pytest.raises(ValueError, match="keep_p_input must be in"):
        MLP(2, (3,), 2, method="dropout", keep_p_input=0.0)
