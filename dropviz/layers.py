"""Dropout methods as small torch modules.

Every module takes the paper's keep probability ``keep_p`` (0 < keep_p <= 1).
``keep_p == 1`` is exactly the identity: no random draw, no scaling.

Each module can record the mask of its last training forward pass for the
views (``record_mask = True``); when off, recording costs nothing. Masks are
drawn from a ``torch.Generator`` owned by the model, so a run is reproducible
even while other threads (a web server, analyses) use torch's global RNG.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .validation import check_keep_p, check_scaling  # one validation for numpy and torch alike


class Dropout(nn.Module):
    r"""Bernoulli dropout in either of the two implementations the lecture contrasts.

    Training: :math:`\tilde y = r * y`, :math:`r_j \sim \mathrm{Bernoulli}(keep\_p)`, and

    * ``inverted`` (today's practice): kept units are scaled by ``1/keep_p`` while
      training; the layer is the identity at test time.
    * ``weight-scaling`` (the original paper): no scaling while training; at test
      time outputs are multiplied by ``keep_p`` (equivalent to scaling the
      outgoing weights by ``keep_p``).

    Both give the same expected output. Shape: any; the mask has the input's shape.

    Example::

        >>> layer = Dropout(keep_p=0.8)          # = nn.Dropout(p=0.2)
        >>> y = layer(torch.ones(4, 3))
    """

    def __init__(self, keep_p: float = 0.5, scaling: str = "inverted"):
        super().__init__()
        self.keep_p = check_keep_p(keep_p)
        self.scaling = check_scaling(scaling)
        self.generator: torch.Generator | None = None
        self.record_mask = False
        self.last_mask: torch.Tensor | None = None

    def extra_repr(self) -> str:
        return f"keep_p={self.keep_p}, scaling={self.scaling!r}"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.keep_p == 1.0:
            return inputs
        if not self.training:
            return inputs if self.scaling == "inverted" else inputs * self.keep_p
        mask = torch.empty_like(inputs).bernoulli_(self.keep_p, generator=self.generator)
        if self.record_mask:
            self.last_mask = mask.detach().to(torch.bool)
        if self.scaling == "inverted":
            mask.div_(self.keep_p)
        return inputs * mask


class GaussianDropout(nn.Module):
    r"""Multiplicative Gaussian noise :math:`r \sim N(1, \sigma^2)`, :math:`\sigma^2 = (1-keep\_p)/keep\_p`.

    This variance matches inverted Bernoulli dropout's (r in {0, 1/keep_p}), so the
    two are compared at the same keep probability (the paper's Table 10). The mean
    is 1, so the layer is the identity at test time whatever the scaling.
    """

    def __init__(self, keep_p: float = 0.5):
        super().__init__()
        self.keep_p = check_keep_p(keep_p)
        self.sigma = math.sqrt((1.0 - self.keep_p) / self.keep_p)
        self.generator: torch.Generator | None = None
        self.record_mask = False
        self.last_mask: torch.Tensor | None = None

    def extra_repr(self) -> str:
        return f"keep_p={self.keep_p}, sigma={self.sigma:.4f}"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.keep_p == 1.0 or not self.training:
            return inputs
        noise = torch.empty_like(inputs).normal_(1.0, self.sigma, generator=self.generator)
        if self.record_mask:
            self.last_mask = noise.detach().clone()
        return inputs * noise


# --- DropConnect -----------------------------------------------------------------

# Examples per chunk: bounds the float mask in memory to chunk x out x in, while
# keeping enough work per torch call that Python overhead does not dominate.
DROPCONNECT_CHUNK_ELEMENTS = 1 << 22


def _chunk_size(n_out: int, n_in: int) -> int:
    return max(1, DROPCONNECT_CHUNK_ELEMENTS // max(1, n_out * n_in))


def _draw_weight_masks(
    count: int, n_out: int, n_in: int, keep_p: float, seed: int, device, dtype=torch.float32
) -> torch.Tensor:
    """``count`` float {0,1} weight masks from a private generator seeded by ``seed``.

    Seeding per chunk lets the backward pass regenerate exactly the forward
    masks instead of keeping batch x out x in of them in memory.
    """
    generator = torch.Generator(device=device).manual_seed(seed)
    masks = torch.empty(count, n_out, n_in, device=device, dtype=dtype).uniform_(generator=generator)
    return masks.lt_(keep_p)


class _PerExampleDropConnect(torch.autograd.Function):
    """y_b = (M_b * W) x_b * scale + bias with an independent mask M_b per example."""

    @staticmethod
    def forward(ctx, inputs, weight, bias, keep_p, scale, chunk_seeds):
        n_out, n_in = weight.shape
        chunk = _chunk_size(n_out, n_in)
        outputs = torch.empty(inputs.shape[0], n_out, device=inputs.device, dtype=inputs.dtype)
        for index, start in enumerate(range(0, inputs.shape[0], chunk)):
            part = inputs[start : start + chunk]
            masks = _draw_weight_masks(
                part.shape[0], n_out, n_in, keep_p, int(chunk_seeds[index]), inputs.device, weight.dtype
            )
            masked = masks.mul_(weight)
            outputs[start : start + chunk] = torch.bmm(masked, part.unsqueeze(-1)).squeeze(-1)
        if scale != 1.0:
            outputs.mul_(scale)
        if bias is not None:
            outputs.add_(bias)
        ctx.save_for_backward(inputs, weight)
        ctx.keep_p, ctx.scale, ctx.chunk_seeds, ctx.has_bias = keep_p, scale, chunk_seeds, bias is not None
        return outputs

    @staticmethod
    def backward(ctx, grad_outputs):
        inputs, weight = ctx.saved_tensors
        n_out, n_in = weight.shape
        chunk = _chunk_size(n_out, n_in)
        grad_bias = grad_outputs.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        grad_outputs = grad_outputs * ctx.scale
        grad_inputs = torch.empty_like(inputs) if ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight) if ctx.needs_input_grad[1] else None
        for index, start in enumerate(range(0, inputs.shape[0], chunk)):
            part = inputs[start : start + chunk]
            grad_part = grad_outputs[start : start + chunk]
            masks = _draw_weight_masks(
                part.shape[0], n_out, n_in, ctx.keep_p, int(ctx.chunk_seeds[index]), inputs.device, weight.dtype
            )
            if grad_inputs is not None:
                grad_inputs[start : start + chunk] = torch.bmm(grad_part.unsqueeze(1), masks * weight).squeeze(1)
            if grad_weight is not None:
                # sum_b M_b * (g_b x_b^T), built in place in the mask buffer to avoid another chunk-sized tensor
                grad_weight += masks.mul_(grad_part.unsqueeze(-1)).mul_(part.unsqueeze(1)).sum(0)
        return grad_inputs, grad_weight, grad_bias, None, None, None


def dropconnect_linear(
    inputs: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    keep_p: float,
    *,
    scaling: str = "inverted",
    per_example: bool = True,
    generator: torch.Generator | None = None,
    record: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A training forward pass of a linear layer with DropConnect (Wan et al. 2013).

    ``r = (M * W) v + b`` with ``M_ij ~ Bernoulli(keep_p)``. Wan et al. mask the
    biases as well; here the bias is never masked (a documented simplification). With ``per_example``
    (the paper's definition) every example of the batch gets its own mask; the
    cheaper per-batch variant shares one mask across the batch. ``inverted``
    scaling divides by keep_p while training so inference uses W unchanged;
    ``weight-scaling`` uses the mean network ``keep_p * W`` at inference.

    Returns the output and, if ``record``, the mask used for the first example. ``keep_p`` (0 < keep_p <= 1)
    is checked where the net is built (MLP, RunConfig), not on every forward pass.
    """
    scale = 1.0 / keep_p if scaling == "inverted" else 1.0
    n_out, n_in = weight.shape
    if not per_example:
        mask = torch.empty_like(weight).bernoulli_(keep_p, generator=generator)
        recorded = mask.detach().to(torch.bool) if record else None
        return F.linear(inputs, weight * mask * scale, bias), recorded
    n_chunks = math.ceil(inputs.shape[0] / _chunk_size(n_out, n_in))
    # Seeds come from the model's generator so the run stays reproducible.
    seeds = torch.randint(
        0, 2**62, (n_chunks,), generator=generator, device=generator.device if generator else "cpu"
    ).tolist()
    outputs = _PerExampleDropConnect.apply(inputs, weight, bias, keep_p, scale, seeds)
    recorded = None
    if record:
        recorded = _draw_weight_masks(1, n_out, n_in, keep_p, seeds[0], weight.device, weight.dtype)[0].to(torch.bool)
    return outputs, recorded


def dropconnect_gaussian_inference(
    inputs: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    keep_p: float,
    activation,
    n_samples: int,
    generator: torch.Generator | None = None,
    scaling: str = "weight-scaling",
) -> torch.Tensor:
    """Wan et al.'s inference: moment-match each unit's input, sample, average a(u).

    u ~ N(keep_p W v, keep_p (1-keep_p) (W*W)(v*v)); returns mean over samples of
    ``activation(u + b)``. With ``inverted`` training the weights were trained
    at scale 1/keep_p, so the moments are taken of W/keep_p. ``keep_p`` is checked where the net is built.
    """
    effective = weight / keep_p if scaling == "inverted" else weight
    mean = keep_p * F.linear(inputs, effective)
    variance = keep_p * (1.0 - keep_p) * F.linear(inputs * inputs, effective * effective)
    std = variance.clamp_min(0.0).sqrt()
    noise = torch.randn((n_samples, *mean.shape), generator=generator, device=mean.device, dtype=mean.dtype)
    samples = mean + std * noise
    if bias is not None:
        samples = samples + bias
    return activation(samples).mean(0)


def apply_max_norm(weight: torch.Tensor, max_norm: float) -> None:
    """Project each unit's incoming weight vector (a row) onto the ball of radius c."""
    with torch.no_grad():
        weight.copy_(torch.renorm(weight, p=2, dim=0, maxnorm=max_norm))
