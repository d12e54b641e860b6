"""Trainer throughput vs a plain PyTorch loop, and per-example DropConnect cost.

Same process, same 784-1024-1024-10 ReLU MLP, dropout keep_p 0.5, batch 128,
random data. The plain loop does the same work a user needs (train, evaluate
train/test loss and error once per epoch); the dropviz Trainer adds its event
stream, the bounded metric log, mask recording and probe snapshots at their
default cadence. Runs are interleaved (A B A B ...) so machine noise hits both.
"""

from __future__ import annotations

import argparse
import time

import torch
from _common import best_of, print_table  # noqa: F401  (sets sys.path)
from torch.nn import functional as F

from dropviz.config import RunConfig
from dropviz.data import Dataset
from dropviz.layers import dropconnect_linear
from dropviz.runner import MetricLog
from dropviz.train import Trainer, evaluate

N_TRAIN, N_TEST, BATCH, EPOCH_STEPS = 128 * 40, 1000, 128, 40


def random_dataset(seed: int = 0) -> Dataset:
    generator = torch.Generator().manual_seed(seed)
    return Dataset(
        name="random",
        x_train=torch.rand(N_TRAIN, 784, generator=generator),
        y_train=torch.randint(0, 10, (N_TRAIN,), generator=generator),
        x_test=torch.rand(N_TEST, 784, generator=generator),
        y_test=torch.randint(0, 10, (N_TEST,), generator=generator),
        n_classes=10,
        class_names=tuple(str(i) for i in range(10)),
        image_shape=(28, 28),
        description="random",
    )


CONFIG = RunConfig(
    dataset="random",
    hidden=(1024, 1024),
    method="dropout",
    keep_p=0.5,
    keep_p_input=1.0,
    batch_size=BATCH,
    lr=0.01,
    epochs=1000,
    twin=False,
    device="cpu",
)


def plain_loop(data: Dataset, steps: int) -> float:
    """The minimal loop a user would write: same model, optimizer, batches, evaluation."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(1024, 1024),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(1024, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    for step in range(steps):
        if step % EPOCH_STEPS == 0:
            order = torch.randperm(N_TRAIN, generator=generator)
        index = order[(step % EPOCH_STEPS) * BATCH : (step % EPOCH_STEPS + 1) * BATCH]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(data.x_train[index]), data.y_train[index])
        loss.backward()
        optimizer.step()
        loss.item()
        if (step + 1) % EPOCH_STEPS == 0:
            model.eval()
            evaluate(model, data.x_train, data.y_train)
            evaluate(model, data.x_test, data.y_test)
            model.train()
    return steps / (time.perf_counter() - started)


def dropviz_trainer(data: Dataset, steps: int) -> float:
    trainer = Trainer(CONFIG, data, record_masks=True)
    log = MetricLog()
    log.publish(trainer.started_event())
    started = time.perf_counter()
    for _ in range(steps):
        for event in trainer.step():
            log.publish(event)
        log.snapshot() if trainer.step_count % 20 == 0 else None  # a reader at ~the page's cadence
    return steps / (time.perf_counter() - started)


def dropconnect_costs(repeats: int) -> list[list]:
    torch.manual_seed(0)
    x = torch.randn(BATCH, 1024)
    weight = torch.randn(1024, 1024, requires_grad=True)
    bias = torch.zeros(1024, requires_grad=True)
    generator = torch.Generator().manual_seed(0)

    def dropout_step():
        out = F.linear(F.dropout(x, 0.5, training=True), weight, bias)
        out.sum().backward()

    def per_batch_step():
        out, _ = dropconnect_linear(x, weight, bias, 0.5, per_example=False, generator=generator)
        out.sum().backward()

    def per_example_step():
        out, _ = dropconnect_linear(x, weight, bias, 0.5, per_example=True, generator=generator)
        out.sum().backward()

    def naive_forward():  # the naive einsum over a materialized batch x out x in float mask
        mask = torch.empty(BATCH, 1024, 1024).bernoulli_(0.5)
        return torch.einsum("boi,bi->bo", mask * weight.detach(), x)

    def per_example_forward():
        with torch.no_grad():
            return dropconnect_linear(x, weight, bias, 0.5, per_example=True, generator=generator)[0]

    base = best_of(dropout_step, repeats)
    rows = []
    for name, function, memory in [
        ("dropout (forward+backward)", dropout_step, "128x1024 mask"),
        ("DropConnect, one mask per batch (f+b)", per_batch_step, "1024x1024 mask"),
        ("DropConnect, per example (f+b)", per_example_step, "4x1024x1024 chunk"),
        ("DropConnect, per example (forward only)", per_example_forward, "4x1024x1024 chunk"),
        ("naive einsum, per example (forward only)", naive_forward, "128x1024x1024 floats (512 MB)"),
    ]:
        seconds = base if function is dropout_step else best_of(function, max(1, repeats // 2))
        rows.append([name, f"{seconds * 1000:.1f}", f"{seconds / base:.0f}x", memory])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = random_dataset()
    plain_loop(data, 10), dropviz_trainer(data, 10)  # warm up allocator and kernels
    plain, ours = [], []
    for _ in range(args.rounds):
        plain.append(plain_loop(data, args.steps))
        ours.append(dropviz_trainer(data, args.steps))
    plain_rate, our_rate = max(plain), max(ours)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} interleaved rounds of {args.steps} steps\n"
    )
    print_table(
        ["loop", "steps/s (best round)", "ratio vs plain"],
        [
            ["plain PyTorch loop", f"{plain_rate:.2f}", "1.00"],
            ["dropviz Trainer + metric log + snapshots", f"{our_rate:.2f}", f"{our_rate / plain_rate:.3f}"],
        ],
    )
    print()
    print_table(["784-1024-1024 layer 1024x1024, batch 128", "ms", "vs dropout", "mask memory"], dropconnect_costs(5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
