"""The trainer pool's hosts as Ray actors (``DROPVIZ_TRAINER_BACKEND=ray``): the same
:class:`~dropviz.workers.RunHost` as a worker process, driven by a thread inside the actor.

Commands go to the actor as method calls numbered in order (a threaded actor may run calls out
of order); the server's reader thread keeps one ``poll`` call in flight per actor, which returns
the host's messages as soon as there are some. A dead actor fails its runs like a dead process.
"""

from __future__ import annotations

import pathlib
import queue
import threading
import time

import ray

from .workers import HostDied, RunHost

ROOT = pathlib.Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.5


def connect(address: str | None, size: int):
    """Join the Ray cluster at ``address`` (from the server's environment only), or start a local Ray;
    returns (ray, whether this call started it: then the pool shuts it down)."""
    if ray.is_initialized():
        return ray, False
    options = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address:
        ray.init(address=address, runtime_env={"py_modules": [str(ROOT / "dropviz")]}, **options)
    else:
        ray.init(num_cpus=size, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}}, **options)
    return ray, True


@ray.remote(max_restarts=0, max_task_retries=0)
class HostActor:
    def __init__(self, threads: int):
        import torch

        torch.set_num_threads(threads)
        self.host = RunHost()
        self.commands: queue.Queue = queue.Queue()
        self.outbox: queue.Queue = queue.Queue()
        self.next_number = 0
        self.early: dict[int, tuple] = {}
        self.order_lock = threading.Lock()
        threading.Thread(target=self._loop, name="dropviz-ray-host", daemon=True).start()

    def ready(self) -> bool:
        return True

    def send(self, number: int, command: tuple) -> None:
        with self.order_lock:  # put commands back in the order the server sent them
            self.early[number] = command
            while self.next_number in self.early:
                self.commands.put(self.early.pop(self.next_number))
                self.next_number += 1

    def poll(self, timeout: float) -> list:
        messages = []
        try:
            messages.append(self.outbox.get(timeout=timeout))
            while True:
                messages.append(self.outbox.get_nowait())
        except queue.Empty:
            return messages

    def _loop(self) -> None:
        host = self.host
        while True:
            wake = host.next_wake(time.perf_counter())
            try:
                command = (
                    self.commands.get(timeout=min(0.5, wake if wake is not None else 0.5))
                    if wake != 0.0
                    else self.commands.get_nowait()
                )
                host.handle(command)
                while True:
                    host.handle(self.commands.get_nowait())
            except queue.Empty:
                pass
            host.work()
            for message in host.take_outbox():
                self.outbox.put(message)


class RayHost:
    """An actor seen from the server (the pool's reader thread owns ``pending``)."""

    def __init__(self, index: int, threads: int):
        self.index = index
        self.actor = HostActor.options(num_cpus=threads, max_concurrency=4, name=None).remote(threads)
        ray.get(self.actor.ready.remote())
        self.number = 0
        self.lock = threading.Lock()
        self.pending = None
        self.dead = False
        self.pid = None

    def send(self, command: tuple) -> None:
        with self.lock:
            self.actor.send.remote(self.number, command)
            self.number += 1

    def close(self) -> None:
        self.dead = True
        try:
            ray.kill(self.actor)
        except Exception:  # noqa: BLE001 - already gone
            pass


def read_loop(pool) -> None:
    """The pool's reader thread for Ray hosts: deliver each actor's messages; a dead actor fails its runs."""
    while not pool._closed:
        with pool._lock:
            hosts = [(index, host) for index, host in enumerate(pool._hosts) if host is not None and not host.dead]
        for _, host in hosts:
            if host.pending is None:
                host.pending = host.actor.poll.remote(POLL_SECONDS)
        refs = {host.pending: (index, host) for index, host in hosts}
        if not refs:
            time.sleep(0.1)
            continue
        try:
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=POLL_SECONDS * 2)
        except Exception:  # noqa: BLE001 - Ray shut down under us (the server is closing)
            if pool._closed or not ray.is_initialized():
                return
            raise
        for ref in ready:
            index, host = refs[ref]
            host.pending = None
            if pool._closed or not ray.is_initialized():
                return
            try:
                messages = ray.get(ref)
            except ray.exceptions.RayError as error:
                if pool._closed:
                    return
                text = str(error).strip().splitlines()
                pool._host_died(
                    index,
                    HostDied(
                        f"the Ray actor training this run stopped unexpectedly "
                        f"({type(error).__name__}: {text[0] if text else ''})"
                        " — press Train to start again",
                        [],
                    ),
                )
                continue
            for message in messages:
                pool._deliver(message)
