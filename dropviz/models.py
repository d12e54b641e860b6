"""The MLP used everywhere, built from a :class:`~dropviz.config.RunConfig`.

Layer ``l`` maps ``h_l`` to ``h_{l+1}``; its regularizer acts on that map:
dropout masks the *units* of ``h_l`` (keep_p_input for the data, keep_p for
hidden units), DropConnect masks the *weights* of layer ``l`` with the same
keep probability. Parameters live only in ``self.linears`` so that a method
net and its no-dropout twin share one ``state_dict`` layout and can start
from identical weights.
"""

from __future__ import annotations

import copy
import math
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .config import RunConfig
from .layers import (
    Dropout,
    GaussianDropout,
    apply_max_norm,
    check_keep_p,
    dropconnect_gaussian_inference,
    dropconnect_linear,
)

ACTIVATION_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "logistic": torch.sigmoid,
    "tanh": torch.tanh,
}


class MLP(nn.Module):
    """Multi-layer perceptron with one of: no dropout, dropout, Gaussian dropout, DropConnect."""

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int],
        n_outputs: int,
        *,
        activation: str = "relu",
        method: str = "none",
        keep_p: float = 1.0,
        keep_p_input: float = 1.0,
        scaling: str = "inverted",
        dropconnect_mask: str = "per-example",
        dropconnect_inference: str = "mean",
        dropconnect_samples: int = 64,
    ):
        super().__init__()
        if activation not in ACTIVATION_FUNCTIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATION_FUNCTIONS)}, got {activation!r}")
        self.layer_sizes = (int(n_inputs), *(int(units) for units in hidden), int(n_outputs))
        self.activation_name = activation
        self.activation = ACTIVATION_FUNCTIONS[activation]
        self.method = method
        self.scaling = scaling
        self.keep_ps = tuple(
            check_keep_p(keep_p_input if index == 0 else keep_p, "keep_p_input" if index == 0 else "keep_p")
            for index in range(len(self.layer_sizes) - 1)
        )
        self.dropconnect_per_example = dropconnect_mask == "per-example"
        self.dropconnect_inference = dropconnect_inference
        self.dropconnect_samples = dropconnect_samples
        self.linears = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:])
        )
        self.drops = nn.ModuleList(self._unit_noise(keep) for keep in self.keep_ps)
        self.generator: torch.Generator | None = None
        self.record_masks = False
        self.last_weight_masks: list[torch.Tensor | None] = [None] * len(self.linears)

    def _unit_noise(self, keep: float) -> nn.Module:
        if keep == 1.0 or self.method in ("none", "dropconnect"):
            return nn.Identity()
        if self.method == "dropout":
            return Dropout(keep, self.scaling)
        if self.method == "gaussian":
            return GaussianDropout(keep)
        raise ValueError(f"method must be one of none, dropout, gaussian, dropconnect; got {self.method!r}")

    # setup ----------------------------------------------------------------------
    def set_generator(self, generator: torch.Generator | None) -> None:
        self.generator = generator
        for drop in self.drops:
            if hasattr(drop, "generator"):
                drop.generator = generator

    def set_keep_p(self, keep_p: float | None = None, keep_p_input: float | None = None) -> None:
        """Change the keep probabilities in place (a mid-run change); weights and optimizer state stay."""
        new = tuple(
            check_keep_p(keep_p_input, "keep_p_input")
            if index == 0 and keep_p_input is not None
            else check_keep_p(keep_p, "keep_p")
            if index > 0 and keep_p is not None
            else old
            for index, old in enumerate(self.keep_ps)
        )
        for index, (old, keep) in enumerate(zip(self.keep_ps, new)):
            if keep != old:
                drop = self._unit_noise(keep)
                if hasattr(drop, "generator"):
                    drop.generator = self.generator
                if hasattr(drop, "record_mask"):
                    drop.record_mask = self.record_masks
                self.drops[index] = drop.to(self.linears[index].weight.device)
                self.last_weight_masks[index] = None
        self.keep_ps = new

    def set_record_masks(self, record: bool) -> None:
        self.record_masks = record
        for drop in self.drops:
            if hasattr(drop, "record_mask"):
                drop.record_mask = record

    def reset_parameters(self, generator: torch.Generator) -> None:
        """nn.Linear's default initialisation, drawn from ``generator`` (thread-safe, reproducible)."""
        with torch.no_grad():
            for linear in self.linears:
                nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=generator)
                bound = 1.0 / math.sqrt(linear.in_features)
                nn.init.uniform_(linear.bias, -bound, bound, generator=generator)

    @property
    def n_parameters(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())

    def inference_copy(self, *, keep_generator: bool = False) -> "MLP":
        """An independent eval-mode copy that records no masks, for views and analyses.

        It never perturbs (or waits for) the net it copies. With ``keep_generator`` it draws any
        test-time samples (Gaussian DropConnect inference) from a copy of this net's generator.
        """
        clone = copy.deepcopy(self)
        clone.set_record_masks(False)
        if not keep_generator:
            clone.set_generator(None)
        clone.eval()
        return clone

    # forward --------------------------------------------------------------------
    def _layer(self, index: int, inputs: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """Pre-activation of layer ``index``; second value True if the activation was already applied."""
        linear = self.linears[index]
        keep = self.keep_ps[index]
        if self.method != "dropconnect" or keep == 1.0:
            return linear(self.drops[index](inputs)), False
        if self.training:
            outputs, mask = dropconnect_linear(
                inputs,
                linear.weight,
                linear.bias,
                keep,
                scaling=self.scaling,
                per_example=self.dropconnect_per_example,
                generator=self.generator,
                record=self.record_masks,
            )
            if self.record_masks:
                self.last_weight_masks[index] = mask
            return outputs, False
        if self.dropconnect_inference == "gaussian":
            is_output = index == len(self.linears) - 1
            # For the output layer average class probabilities; log turns them back into logits.
            activation = (lambda logits: torch.softmax(logits, -1)) if is_output else self.activation
            averaged = dropconnect_gaussian_inference(
                inputs,
                linear.weight,
                linear.bias,
                keep,
                activation,
                self.dropconnect_samples,
                self.generator,
                self.scaling,
            )
            return (averaged.clamp_min(1e-12).log() if is_output else averaged), not is_output
        weight = linear.weight if self.scaling == "inverted" else linear.weight * keep
        return F.linear(inputs, weight, linear.bias), False

    def activations_at(self, inputs: torch.Tensor, layer: int) -> torch.Tensor:
        """Hidden layer ``layer``'s activations (0 = first hidden layer), in the net's current mode."""
        self._check_hidden_layer(layer)
        hidden = inputs
        for index in range(layer + 1):
            hidden, activated = self._layer(index, hidden)
            if not activated:
                hidden = self.activation(hidden)
        return hidden

    def logits_from(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        """Logits given hidden layer ``layer``'s activations (any leading batch dimensions)."""
        self._check_hidden_layer(layer)
        shape = hidden.shape
        hidden = hidden.reshape(-1, shape[-1])
        last = len(self.linears) - 1
        for index in range(layer + 1, last + 1):
            hidden, activated = self._layer(index, hidden)
            if index < last and not activated:
                hidden = self.activation(hidden)
        return hidden.reshape(*shape[:-1], hidden.shape[-1])

    def _check_hidden_layer(self, layer: int) -> None:
        n_hidden = len(self.linears) - 1
        if not 0 <= layer < n_hidden:
            raise ValueError(f"layer must be a hidden layer index 0..{n_hidden - 1}, got {layer}")

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = inputs
        last = len(self.linears) - 1
        for index in range(len(self.linears)):
            hidden, activated = self._layer(index, hidden)
            if index < last and not activated:
                hidden = self.activation(hidden)
        return hidden

    def forward_with_activations(self, inputs: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and every hidden layer's activations (before the next layer's dropout)."""
        activations = []
        hidden = inputs
        last = len(self.linears) - 1
        for index in range(len(self.linears)):
            hidden, activated = self._layer(index, hidden)
            if index < last:
                if not activated:
                    hidden = self.activation(hidden)
                activations.append(hidden)
        return hidden, activations

    @torch.no_grad()
    def hidden_activations(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        """Hidden activations at test time (eval mode), e.g. on a fixed probe batch."""
        was_training = self.training
        self.eval()
        try:
            return self.forward_with_activations(inputs)[1]
        finally:
            self.train(was_training)

    def unit_masks(self) -> list[torch.Tensor | None]:
        """Last recorded mask per layer: units (batch, n_in) or weights (n_out, n_in) for DropConnect."""
        if self.method == "dropconnect":
            return list(self.last_weight_masks)
        return [getattr(drop, "last_mask", None) for drop in self.drops]

    def max_norm_radii(self, max_norm: float) -> list[float]:
        """The radius each hidden layer's stored rows are held to so that c means the paper's c.

        The paper bounds the training-time weights W' acting on the (unscaled) thinned
        inputs. Inverted dropout and DropConnect store W = keep_p * W' (they divide by
        keep_p while training), so their rows are held to keep_p * c; weight scaling,
        Gaussian dropout (mean-1 noise) and unmasked layers store W' itself.
        """
        radii = []
        for index in range(len(self.linears) - 1):
            keep = self.keep_ps[index]
            scaled = self.scaling == "inverted" and self.method in ("dropout", "dropconnect") and keep < 1.0
            radii.append(max_norm * keep if scaled else max_norm)
        return radii

    def apply_max_norm(self, max_norm: float | None) -> None:
        """Max-norm c (the paper's) on each hidden unit's incoming weights; the output layer is left free."""
        if max_norm is None:
            return
        for linear, radius in zip(self.linears[:-1], self.max_norm_radii(max_norm)):
            apply_max_norm(linear.weight, radius)


def build_model(config: RunConfig, n_inputs: int, n_outputs: int, *, baseline: bool = False) -> MLP:
    """The method net of ``config``, or (``baseline=True``) its no-dropout twin."""
    source = config.baseline() if baseline else config
    return MLP(
        n_inputs,
        config.hidden,
        n_outputs,
        activation=config.activation,
        method=source.method,
        keep_p=source.keep_p,
        keep_p_input=source.keep_p_input,
        scaling=config.scaling,
        dropconnect_mask=config.dropconnect_mask,
        dropconnect_inference=config.dropconnect_inference,
        dropconnect_samples=config.dropconnect_samples,
    )


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available (use device 'auto' or 'cpu')")
    return torch.device(device)
