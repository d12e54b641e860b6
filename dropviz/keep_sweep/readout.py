"""What the stacked sweep's members show without training: test-time metrics, state snapshots for the
views, and each member as an ordinary :class:`~dropviz.models.MLP`."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from ..layers import dropconnect_gaussian_inference
from ..models import MLP, build_model
from ..train import Evaluation, StateSnapshot
from .grid import MemberEvent, member_config

# Float elements of one batched evaluation chunk (members x points x widest layer).
EVAL_CHUNK_ELEMENTS = 1 << 23


class StackedReadout:
    """The test-time half of :class:`~dropviz.keep_sweep.stacked.KeepSweep` (which sets every attribute used here)."""

    @torch.no_grad()
    def _forward_eval(self, inputs: torch.Tensor, activations: bool = False):
        """Test-time logits of every member on ``inputs`` (K, n, classes), and optionally hidden activations."""
        K = self.n_members
        hidden = inputs.unsqueeze(0).expand(K, *inputs.shape)
        kept = []
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            keep = self._keep_tensors[layer]
            activated = False
            if not self._active[layer] or self.method == "gaussian" or (self.method == "dropout" and self.inverted):
                out = torch.baddbmm(bias, hidden, weight.transpose(1, 2))
            elif self.method == "dropout":  # weight scaling: outputs times keep_p at test time
                out = torch.baddbmm(bias, hidden * keep, weight.transpose(1, 2))
            elif self.config.dropconnect_inference == "gaussian":
                out = self._dropconnect_gaussian_eval(layer, hidden)
                activated = layer < last
            else:  # DropConnect mean network
                effective = weight if self.inverted else weight * keep
                out = torch.baddbmm(bias, hidden, effective.transpose(1, 2))
            hidden = out if activated or layer == last else self._activation_(out)
            if layer < last and activations:
                kept.append(hidden)
        return hidden, kept

    def _dropconnect_gaussian_eval(self, layer: int, inputs: torch.Tensor) -> torch.Tensor:
        """Wan et al.'s sampled inference per member (as MLP does it), log-probabilities for the output layer."""
        is_output = layer == len(self.weights) - 1
        activation = (lambda logits: torch.softmax(logits, -1)) if is_output else self.activation
        outputs = []
        for member, keep in enumerate(self._keeps[layer]):
            weight, bias = self.weights[layer][member], self.biases[layer][member, 0]
            if keep == 1.0:
                out = F.linear(inputs[member], weight, bias)
                outputs.append(out if is_output else activation(out))
                continue
            averaged = dropconnect_gaussian_inference(
                inputs[member],
                weight,
                bias,
                keep,
                activation,
                self.config.dropconnect_samples,
                self.eval_generator,
                self.config.scaling,
            )
            outputs.append(averaged.clamp_min(1e-12).log() if is_output else averaged)
        return torch.stack(outputs)

    @torch.no_grad()
    def evaluate_members(self, full: bool = True) -> list[dict[str, float]]:
        """train/test loss and error of every member (the twin last if separate), batched over members."""
        inputs, labels, n_train = self._eval_sets[full]
        K, n = self.n_members, inputs.shape[0]
        widest = max(self.layer_sizes)
        chunk = max(1, EVAL_CHUNK_ELEMENTS // (K * widest))
        losses, wrong = [], []
        for start in range(0, n, chunk):
            logits, _ = self._forward_eval(inputs[start : start + chunk])
            target = labels[start : start + chunk]
            k, m, c = logits.shape
            losses.append(F.cross_entropy(logits.reshape(k * m, c), target.repeat(K), reduction="none").view(K, m))
            wrong.append((logits.argmax(-1) != target).to(logits.dtype))
        loss, error = torch.cat(losses, 1), torch.cat(wrong, 1)
        summary = torch.stack(
            [
                loss[:, :n_train].mean(1),
                error[:, :n_train].mean(1),
                loss[:, n_train:].mean(1),
                error[:, n_train:].mean(1),
            ],
            1,
        ).tolist()
        names = ("train_loss", "train_error", "test_loss", "test_error")
        return [dict(zip(names, row)) for row in summary]

    def evaluation(self, full: bool = True) -> list[MemberEvent]:
        metrics = self.evaluate_members(full)
        twin = metrics[self.twin_index]
        if self.twin_index in self._frozen:
            twin = {name: math.nan for name in twin}
        n_test = int(self._eval_sets[full][0].shape[0] - self._eval_sets[full][2])
        events = []
        for member, keep in enumerate(self.keep_grid):
            self.last_metrics[keep] = {"method": metrics[member], "baseline": twin}
            if member in self.diverged:
                continue
            events.append(
                MemberEvent(
                    keep,
                    Evaluation(
                        self.step_count,
                        self.epoch,
                        {"method": metrics[member], "baseline": twin},
                        keep_p=keep,
                        keep_p_input=self.config.keep_p_input,
                        test_examples=n_test,
                    ),
                )
            )
        return events

    @torch.no_grad()
    def state_snapshot(self) -> list[MemberEvent]:
        _, hidden = self._forward_eval(self.probe, activations=True)
        activations = [layer.cpu().numpy() for layer in hidden]
        weights = []
        for layer, weight in enumerate(self.weights):
            rows, cols = self._display_index[layer + 1], self._display_index[layer]
            weights.append(weight.detach()[:, rows][:, :, cols].cpu().numpy())
        twin_activations = tuple(layer[self.twin_index] for layer in activations)
        twin_weights = tuple(layer[self.twin_index] for layer in weights)
        events = []
        for member, keep in enumerate(self.keep_grid):
            if member in self.diverged:
                continue
            events.append(
                MemberEvent(
                    keep,
                    StateSnapshot(
                        self.step_count,
                        {"method": tuple(layer[member] for layer in activations), "baseline": twin_activations},
                        {"method": tuple(layer[member] for layer in weights), "baseline": twin_weights},
                    ),
                )
            )
        return events

    # members as ordinary nets --------------------------------------------------------
    def _load_member(self, model: MLP, member: int) -> MLP:
        self.net.write_slot(member, model)
        model.set_record_masks(False)
        model.set_generator(None)
        return model.eval()

    def member_unit_masks(self, keep_p: float) -> tuple[np.ndarray | None, ...]:
        """Per layer (inputs first), the units the member at ``keep_p`` kept for the first example of its last
        mini-batch (bool, the layer's full width); None where it drops none (keep 1 there, not dropout, no step yet)."""
        member = self.member_index(keep_p)
        return tuple(
            None if masks is None or self._keeps[layer][member] == 1.0 else masks[member].cpu().numpy()
            for layer, masks in enumerate(self.last_unit_masks)
        )

    def member_models(self, keep_p: float) -> dict[str, MLP]:
        """{"method": the member at ``keep_p`` as an ordinary eval-mode MLP (carrying its last mini-batch's
        unit masks, as a trained run's nets do), "baseline": the twin}."""
        member = self.member_index(keep_p)
        n_in, n_out = self.layer_sizes[0], self.layer_sizes[-1]
        method = build_model(member_config(self.config, self.keep_grid[member]), n_in, n_out).to(self.device)
        method = set_unit_masks(self._load_member(method, member), self.member_unit_masks(keep_p))
        twin = build_model(self.config, n_in, n_out, baseline=True).to(self.device)
        return {"method": method, "baseline": self._load_member(twin, self.twin_index)}


def set_unit_masks(model: MLP, kept: Sequence[np.ndarray | torch.Tensor | None]) -> MLP:
    """Give ``model`` a member's kept units per layer (see ``member_unit_masks``) as its Dropout layers record
    their last mask, so the views that read a net's masks (the unit maps' dropped marks) read the member's."""
    for drop, mask in zip(model.drops, kept):
        if mask is not None and hasattr(drop, "last_mask"):
            drop.last_mask = torch.as_tensor(mask, dtype=torch.bool).view(1, -1)
    return model
