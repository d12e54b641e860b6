"""Imported once by the trainer pool's fork server (never by the web server): one tiny real training
step pays the one-time imports (torch._dynamo for the first optimizer, scikit-learn for the toy data)
before any worker is forked, so every worker's first run starts at once."""

import torch

from .config import RunConfig
from .train import Trainer, run_to_end

torch.set_num_threads(1)  # no intra-op thread pool in a process that forks
run_to_end(Trainer(RunConfig(dataset="moons", hidden=(4,), epochs=1, batch_size=40, train_size=40)))
