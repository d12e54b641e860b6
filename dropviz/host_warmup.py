"""Imported once by the trainer pool's fork server (never by the web server): one tiny real training
step pays the one-time imports (torch._dynamo for the first optimizer, scikit-learn for the toy data)
before any worker is forked, so every worker's first run starts at once.

It also moves the fork server, and so every worker forked from it, into a session of its own: with the
kernel's autogroup scheduling a session is a scheduling group, and while the trainers shared the web
server's group every busy trainer lengthened the server's answers (docs/classroom.md, session 17)."""

import os

import torch

from .config import RunConfig
from .train import Trainer, run_to_end

try:
    os.setsid()
except OSError:  # already a session leader (started by hand): its group is its own anyway
    pass
torch.set_num_threads(1)  # no intra-op thread pool in a process that forks
run_to_end(Trainer(RunConfig(dataset="moons", hidden=(4,), epochs=1, batch_size=40, train_size=40)))
