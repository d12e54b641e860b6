"""The stacked-MLP core shared by the p sweep and the classroom cohort: each slot trains as its own net."""

import copy

import pytest
import torch
from torch.nn import functional as F

from dropviz.models import MLP
from dropviz.stacked_mlp import LayerNoise, StackedMLP, linear_params, radius_tensors, slot_losses

TOLERANCE = 1e-6


def nets(count=3):
    torch.manual_seed(0)
    return [MLP(3, (8, 6), 2, activation="tanh") for _ in range(count)]


def batch(seed, n=5):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=generator), torch.randint(0, 2, (n,), generator=generator)


def masks_for(step, shapes):
    """Fixed 0/1 input masks per slot and layer (what a noise policy would draw)."""
    generator = torch.Generator().manual_seed(100 + step)
    return [(torch.rand(shape, generator=generator) < 0.6).float() for shape in shapes]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_each_slot_trains_as_its_own_net_with_its_own_masks(optimizer):
    models = nets()
    lone = [copy.deepcopy(model) for model in models]
    make = (
        (lambda params: torch.optim.Adam(params, lr=0.01))
        if optimizer == "adam"
        else (lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9))
    )
    optimizers = [make(model.parameters()) for model in lone]
    stack = StackedMLP(models, "tanh", optimizer=optimizer, lr=0.01 if optimizer == "adam" else 0.1, momentum=0.9)
    for step in range(4):
        inputs, labels = batch(step)
        sizes = [(3, 5, 3), (3, 5, 8), (3, 5, 6)]
        masks = masks_for(step, sizes)
        logits, records = stack.forward_train(
            inputs.expand(3, *inputs.shape), lambda layer, _: LayerNoise(inputs=masks[layer], record=layer)
        )
        assert records == [0, 1, 2]
        stack.backward(slot_losses(logits, labels.expand(3, -1)))
        stack.update()
        for slot, (model, opt) in enumerate(zip(lone, optimizers)):
            hidden = inputs
            for layer, linear in enumerate(model.linears):
                hidden = linear(hidden * masks[layer][slot])
                hidden = torch.tanh(hidden) if layer < 2 else hidden
            opt.zero_grad()
            F.cross_entropy(hidden, labels).backward()
            opt.step()
    for slot, model in enumerate(lone):
        for mine, theirs in zip(stack.slot_state(slot).values(), model.state_dict().values()):
            torch.testing.assert_close(torch.as_tensor(mine), theirs, atol=TOLERANCE, rtol=0)


def test_momentum_goes_in_and_out_with_the_slot_and_a_zeroed_slot_stays_still():
    models = nets(2)
    buffers = [[torch.full_like(p, 0.5) for p in linear_params(models[0])], [None] * 6]
    stack = StackedMLP(models, "tanh", lr=0.1, momentum=0.9, momentum_buffers=buffers)
    back = stack.slot_momentum(0, models[0])
    assert all(torch.equal(b, torch.full_like(b, 0.5)) for b in back)
    assert all(torch.equal(b, torch.zeros_like(b)) for b in stack.slot_momentum(1, models[1]))
    stack.zero_slots([1])
    inputs, labels = batch(0)
    logits, _ = stack.forward_train(inputs.expand(2, *inputs.shape), lambda layer, _: None)
    stack.backward(slot_losses(logits, labels.expand(2, -1)))
    stack.update(frozen=torch.tensor([False, True]).view(2, 1, 1))
    assert all(not tensor[1].any() for tensor in stack.parameters)  # the frozen slot stays a zero net
    target = MLP(3, (8, 6), 2, activation="tanh")
    stack.write_slot(0, target)
    for linear, weight, bias in zip(target.linears, stack.weights, stack.biases):
        assert torch.equal(linear.weight, weight[0]) and torch.equal(linear.bias, bias[0, 0])


def test_max_norm_holds_each_slot_to_its_own_radius_and_padded_rows_do_not_count():
    models = nets(2)
    stack = StackedMLP(models, "tanh", lr=0.1)
    stack.apply_max_norm(radius_tensors([[0.1, 0.2], [float("inf"), float("inf")]]))
    norms = [torch.linalg.vector_norm(weight, dim=2) for weight in stack.weights[:-1]]
    assert norms[0][0].max() <= 0.1 + 1e-6 and norms[1][0].max() <= 0.2 + 1e-6
    assert torch.equal(stack.weights[0][1], models[1].linears[0].weight)  # radius inf: untouched
    logits = torch.randn(2, 4, 2)
    labels = torch.tensor([[0, 1, 1, 0], [1, 0, 0, 0]])
    losses = slot_losses(logits, labels, [4, 2])
    assert torch.allclose(losses[1], F.cross_entropy(logits[1, :2], labels[1, :2]))
    assert torch.allclose(losses[0], F.cross_entropy(logits[0], labels[0]))
