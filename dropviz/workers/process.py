"""A host as a worker process: the process's main loop, and the server's handle on it (two pipes)."""

from __future__ import annotations

import fcntl
import math
import multiprocessing
import os
import pickle
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from .host import RunHost

# A worker sends what its slices produced at most this often, as one message: the server's reader thread
# takes the GIL per message, and with many sessions' script threads holding it each take waits; one
# message per 20 ms slice per run filled the pipe and blocked the workers (docs/classroom.md).
SEND_PERIOD = 0.1


def _parent_alive(parent_pid: int) -> bool:
    return os.getppid() == parent_pid


def host_process_main(commands: Connection, events: Connection, threads: int, nice: int, server_pid: int) -> None:
    """A worker process: apply commands, train, send events; exit when the server's end of the pipe closes."""
    import torch

    torch.set_num_threads(threads)
    give_way(nice)
    parent = os.getppid()
    host = RunHost()
    last_check = time.monotonic()
    pending: list[tuple] = []
    sent_at = -math.inf
    try:
        while True:
            wake = host.next_wake(time.perf_counter())
            if pending and wake != 0.0:  # nothing to train now: what is held goes before the wait
                _send(events, pending)
                pending, sent_at = [], time.monotonic()
            timeout = 0.0 if wake == 0.0 else min(0.5, wake if wake is not None else 0.5)
            if commands.poll(timeout):
                while True:
                    host.handle(pickle.loads(commands.recv_bytes()))  # EOFError: the server is gone
                    if not commands.poll(0):
                        break
            host.work()
            urgent = host.urgent  # a run's first point: its page is waiting for it
            pending.extend(host.take_outbox())
            if pending and (urgent or time.monotonic() - sent_at >= SEND_PERIOD):
                _send(events, pending)
                pending, sent_at = [], time.monotonic()
            if time.monotonic() - last_check > 1.0:
                last_check = time.monotonic()
                # A forkserver child's parent is the fork server, which exits with the web server.
                if not _parent_alive(parent) or not _pid_alive(server_pid):
                    return
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        return


def give_way(nice: int) -> None:
    """Lower this worker's priority by ``nice``, and its session's scheduling group (the trainers' own,
    dropviz.host_warmup) to that nice value: where the kernel schedules by autogroup, a process's nice
    only orders it within its group, and the group's weight against the web server's is what counts."""
    if nice <= 0:
        return
    try:
        os.nice(nice)
    except OSError:
        pass
    # Without autogroup scheduling (or off Linux) the write fails and the process's nice is what orders it.
    _write_group_nice("self", nice)


def set_group_nice(pid: int, nice: int) -> bool:
    """Set the nice value of ``pid``'s autogroup from outside it, unless that group is the caller's own (the
    web server must never lower itself). False where there is no autogroup scheduling or it cannot be set."""
    try:
        own = Path("/proc/self/autogroup").read_text().split()[:1]
        if Path(f"/proc/{pid}/autogroup").read_text().split()[:1] == own:
            return False
    except OSError:
        return False
    return _write_group_nice(pid, nice)


def _write_group_nice(pid: int | str, nice: int) -> bool:
    try:
        with open(f"/proc/{pid}/autogroup", "w") as group:
            group.write(str(nice))
        return True
    except OSError:
        return False


def _send(events: Connection, messages: list[tuple]) -> None:
    events.send_bytes(pickle.dumps(messages, protocol=pickle.HIGHEST_PROTOCOL))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _process_context():
    """``forkserver`` with torch and dropviz preloaded (a worker starts in milliseconds; not a fork of
    the multi-threaded web server), ``spawn`` where there is no forkserver."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not POSIX
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dropviz.workers", "dropviz.host_warmup"])
    return context


class HostDied(Exception):
    pass


# A worker's slice of events can be ~0.5 MB (state snapshots). Through a default 64 kB pipe the worker
# blocks mid-message until the server's reader thread, which contends for the GIL with every session's
# script thread, reads the next 64 kB: the pipe, not the CPU, then paced training.
EVENT_PIPE_BYTES = 1 << 20


def _widen_pipe(connection) -> None:
    try:
        fcntl.fcntl(connection.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), EVENT_PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size for this user: the default pipe still works
        pass


class _ProcessHost:
    """A worker process and its two pipes, seen from the server."""

    def __init__(self, index: int, threads: int, nice: int):
        context = _process_context()
        command_read, self.command_write = context.Pipe(duplex=False)
        self.event_read, event_write = context.Pipe(duplex=False)
        _widen_pipe(self.event_read)
        self.process = context.Process(
            target=host_process_main,
            name=f"dropviz-host-{index}",
            daemon=True,
            args=(command_read, event_write, threads, nice, os.getpid()),
        )
        self.process.start()
        # Only the worker holds these ends now: its command pipe ends when this process does.
        command_read.close()
        event_write.close()
        self._send_lock = threading.Lock()
        self.dead = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, command: tuple) -> None:
        data = pickle.dumps(command, protocol=pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            try:
                self.command_write.send_bytes(data)
            except (OSError, ValueError):  # died; the reader reports it
                pass

    def waitables(self) -> list:
        return [] if self.dead else [self.event_read, self.process.sentinel]

    def receive(self, ready) -> list[tuple]:
        """Messages from whatever in ``ready`` is this host's; raises HostDied with why when it is gone."""
        messages = []
        if self.event_read in ready:
            try:
                while self.event_read.poll():
                    messages.extend(pickle.loads(self.event_read.recv_bytes()))
            except (EOFError, OSError):
                pass
            else:
                return messages
        if self.process.sentinel in ready or not self.process.is_alive():
            self.process.join(1)
            code = self.process.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise HostDied(
                f"the training worker process (pid {self.process.pid}) stopped unexpectedly ({why})"
                " — press Train to start again",
                messages,
            )
        return messages

    def close(self) -> None:
        self.dead = True
        try:
            self.command_write.close()
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.event_read.close()
