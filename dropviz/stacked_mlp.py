"""One stacked MLP: S nets of one shape as (S, out, in) weights, trained with batched matmuls.

The one core of the p sweep (:mod:`dropviz.keep_sweep`: one config at a grid of keep probabilities)
and the classroom cohort (:mod:`dropviz.cohort`: many small runs of one shape). Nets this small cost
per-step overhead, not arithmetic, so S of them in one batched pass cost little more than one. The two
users differ only in their *noise policy*: where each slot's masks come from (the sweep draws all
members' masks at once from one generator; the cohort draws each slot's from its run's own generator,
as the lone run draws them). Per-slot SGD (momentum) and Adam are elementwise, so a step on the stack
does for each slot what the same optimizer does on its own net. Test-time passes stay with each user:
the sweep evaluates every member in one batched pass, the cohort slot by slot with the lone net's
kernel (its members must give their lone runs' numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch.nn import functional as F

from .models import ACTIVATION_FUNCTIONS, MLP


@dataclass(frozen=True)
class LayerNoise:
    """What a noise policy gives for one layer of a training pass: multiplicative noise on the layer's
    inputs (slots, n, in) or on its weights (slots, out, in), or the layer's outputs when the policy
    computes them itself (per-example DropConnect); ``record`` is what the views show of the noise."""

    inputs: torch.Tensor | None = None
    weights: torch.Tensor | None = None
    outputs: torch.Tensor | None = None
    record: object = None


# policy(layer, inputs of that layer (slots, n, in)) -> the layer's noise, or None for none
NoisePolicy = Callable[[int, torch.Tensor], "LayerNoise | None"]


class StackedMLP:
    """Slots' weights (slots, out, in), biases (slots, 1, out) and optimizer state, one batched step for all.

    ``models`` give each slot's starting weights (the same MLP may fill several slots); ``momentum``
    optionally each slot's SGD momentum buffers in its net's parameter order (w0, b0, w1, b1, ...;
    None where the slot has none yet: a slot that never stepped starts at zero, since 0 * m + g = g
    is torch's first step exactly).
    """

    def __init__(
        self,
        models: Sequence[MLP],
        activation: str,
        *,
        optimizer: str = "sgd",
        lr: float,
        momentum: float = 0.0,
        momentum_buffers: Sequence[Sequence[torch.Tensor | None]] | None = None,
    ):
        n_layers = len(models[0].linears)
        with torch.no_grad():
            self.weights = [
                torch.stack([model.linears[layer].weight.detach() for model in models]).requires_grad_()
                for layer in range(n_layers)
            ]
            self.biases = [
                torch.stack([model.linears[layer].bias.detach().view(1, -1) for model in models]).requires_grad_()
                for layer in range(n_layers)
            ]
        self.n_slots = len(models)
        self.activation = ACTIVATION_FUNCTIONS[activation]
        self.lr, self.momentum = lr, momentum
        self.buffers: list[torch.Tensor] | None = None  # SGD momentum per parameter tensor (weights then biases)
        if momentum_buffers is not None and any(b is not None for slot in momentum_buffers for b in slot):
            per_slot = [
                [buffer if buffer is not None else torch.zeros_like(param) for buffer, param in zip(slot, own)]
                for slot, own in zip(momentum_buffers, map(linear_params, models))
            ]
            self.buffers = [torch.stack([slot[2 * layer] for slot in per_slot]) for layer in range(n_layers)] + [
                torch.stack([slot[2 * layer + 1].view(1, -1) for slot in per_slot]) for layer in range(n_layers)
            ]
        self.adam = torch.optim.Adam(self.parameters, lr=lr) if optimizer == "adam" else None

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    # training -----------------------------------------------------------------------------
    def forward_train(self, inputs: torch.Tensor, noise: NoisePolicy) -> tuple[torch.Tensor, list]:
        """Logits (slots, n, classes) of a training pass on ``inputs`` (slots, n, in), and each layer's record."""
        hidden = inputs
        records: list = []
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            given = noise(layer, hidden)
            if given is None:
                out = torch.baddbmm(bias, hidden, weight.transpose(1, 2))
            elif given.outputs is not None:
                out = given.outputs
            elif given.weights is not None:
                out = torch.baddbmm(bias, hidden, (weight * given.weights).transpose(1, 2))
            else:
                hidden = hidden * given.inputs
                out = torch.baddbmm(bias, hidden, weight.transpose(1, 2))
            records.append(None if given is None else given.record)
            hidden = self.activation(out) if layer < last else out
        return hidden, records

    def backward(self, losses: torch.Tensor) -> None:
        """Gradients of the slots' summed losses (each slot's own: the slots share no weight)."""
        for tensor in self.parameters:
            tensor.grad = None
        losses.sum().backward()

    def update(self, frozen: torch.Tensor | None = None) -> None:
        """One optimizer step; slots marked in ``frozen`` ((slots, 1, 1) bool) get no gradient."""
        if frozen is not None:
            for tensor in self.parameters:
                tensor.grad.masked_fill_(frozen, 0.0)
        if self.adam is not None:
            self.adam.step()
        else:
            self._sgd()

    @torch.no_grad()
    def _sgd(self) -> None:
        """torch.optim.SGD's single-tensor update (no weight decay, no dampening), on the stack."""
        params = self.parameters
        if self.momentum == 0:
            for param in params:
                param.add_(param.grad, alpha=-self.lr)
            return
        if self.buffers is None:
            self.buffers = [param.grad.clone() for param in params]
        else:
            for buffer, param in zip(self.buffers, params):
                buffer.mul_(self.momentum).add_(param.grad)
        for buffer, param in zip(self.buffers, params):
            param.add_(buffer, alpha=-self.lr)

    @torch.no_grad()
    def apply_max_norm(self, radii: Sequence[torch.Tensor]) -> None:
        """torch.renorm's rule (what MLP.apply_max_norm uses) on the hidden layers, a radius (slots, 1, 1) per slot."""
        for weight, radius in zip(self.weights[:-1], radii):
            norms = torch.linalg.vector_norm(weight, dim=2, keepdim=True)
            one = torch.ones((), dtype=weight.dtype, device=weight.device)
            weight.mul_(torch.where(norms > radius, radius / (norms + 1e-7), one))

    @torch.no_grad()
    def zero_slots(self, slots: list[int]) -> None:
        """Zero the slots' weights and optimizer state (a diverged member: a zero net stays finite and still)."""
        for index, param in enumerate(self.parameters):
            param[slots] = 0.0
            if self.buffers is not None:
                self.buffers[index][slots] = 0.0
            if self.adam is not None:
                for value in self.adam.state.get(param, {}).values():
                    if torch.is_tensor(value) and value.dim() == param.dim():
                        value[slots] = 0.0

    # unstacking ---------------------------------------------------------------------------
    @torch.no_grad()
    def write_slot(self, slot: int, model: MLP) -> None:
        """Copy the slot's weights into ``model`` (an MLP of the stack's shape)."""
        for linear, weight, bias in zip(model.linears, self.weights, self.biases):
            linear.weight.copy_(weight[slot])
            linear.bias.copy_(bias[slot, 0])

    def slot_momentum(self, slot: int, model: MLP) -> list[torch.Tensor] | None:
        """The slot's SGD momentum buffers in ``model``'s parameter order and layout (copies), or None."""
        if self.buffers is None:
            return None
        n_layers = len(self.weights)
        stacked = [tensor for pair in zip(self.buffers[:n_layers], self.buffers[n_layers:]) for tensor in pair]
        return [buffer[slot].view_as(param).clone() for buffer, param in zip(stacked, linear_params(model))]

    def slot_state(self, slot: int) -> dict:
        """The slot's weights as a numpy state dict (MLP's key names)."""
        state = {}
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            state[f"linears.{layer}.weight"] = weight[slot].detach().cpu().numpy().copy()
            state[f"linears.{layer}.bias"] = bias[slot, 0].detach().cpu().numpy().copy()
        return state


def slot_losses(logits: torch.Tensor, labels: torch.Tensor, sizes: Sequence[int] | None = None) -> torch.Tensor:
    """Each slot's mean cross-entropy (slots,); ``labels`` (slots, n); ``sizes``: each slot's real rows when
    shorter batches were padded to n."""
    n_slots, n, n_classes = logits.shape
    per_example = F.cross_entropy(logits.reshape(n_slots * n, n_classes), labels.reshape(-1), reduction="none")
    per_example = per_example.view(n_slots, n)
    if sizes is None or all(size == n for size in sizes):
        return per_example.mean(1)
    slot_sizes = torch.tensor(sizes, device=logits.device)
    valid = torch.arange(n, device=logits.device).view(1, -1) < slot_sizes.view(-1, 1)
    return (per_example * valid).sum(1) / slot_sizes


def radius_tensors(per_slot: Sequence[Sequence[float]], device=None) -> list[torch.Tensor]:
    """Per hidden layer, the slots' max-norm radii as a (slots, 1, 1) tensor (inf: free)."""
    n_hidden = len(per_slot[0])
    return [
        torch.tensor([radii[layer] for radii in per_slot], device=device).view(-1, 1, 1) for layer in range(n_hidden)
    ]


def linear_params(model: MLP) -> list[torch.Tensor]:
    """The net's parameters in the stack's slot order: w0, b0, w1, b1, ..."""
    return [tensor for linear in model.linears for tensor in (linear.weight, linear.bias)]
