"""Bench-only WSGI entry point: Perception's application, its CPU time sampled when
``PROFILE_DIRECTORY`` names a directory (``benchmarks.public_page --gunicorn --profile``).

A CPU-time sampler, not a wall-clock one: ``setitimer(ITIMER_PROF)`` interrupts the worker
after each interval of its own CPU (user + system; the kernel rounds 1 ms up to its tick,
10 ms here), and the Python stack it was in is counted: read the shares, not the counts.
Waiting for PostgreSQL or for a busy core is not counted, as in the benchmark's /proc
figure. (pyinstrument samples wall-clock time; its
CPU-time timer is called on every Python call and costs more than the requests.)

Each worker writes ``<directory>/worker-<pid>.txt`` every 200 requests and when it exits
(its first ``PROFILE_SKIP`` requests, 10, are not sampled): the share of samples in each
function (inclusive, then self), and the folded stacks
(``flamegraph.pl`` format) in ``worker-<pid>.folded``. Never used outside the benchmarks.
"""

import atexit
import os
import signal
import time
from collections import Counter
from pathlib import Path

from perception.wsgi import application as perception_application

DIRECTORY = os.getenv("PROFILE_DIRECTORY", "")
INTERVAL = 0.001  # seconds of CPU between samples
SKIP = int(os.getenv("PROFILE_SKIP", "10"))  # each worker's first requests: imports, first drawing
_stacks: Counter = Counter()
_state = {"requests": 0, "armed": False, "inside": False, "cpu": 0.0, "method": ""}


def _where(frame) -> str:
    code = frame.f_code
    parts = Path(code.co_filename).parts
    # Trim to the package path: site-packages/django/… or the project's own files.
    for anchor in ("site-packages", "wt-public", "main", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    return f"{code.co_name} ({'/'.join(parts)}:{code.co_firstlineno})"


def _sample(signum, frame) -> None:
    if not _state["inside"]:
        return
    stack = []
    while frame is not None and frame.f_code is not application.__code__:
        stack.append(_where(frame))
        frame = frame.f_back
    stack.append(_state["method"])  # the request's method at the root: GET and POST apart
    _stacks[";".join(reversed(stack))] += 1


def _write() -> None:
    if not _stacks:
        return
    total = sum(_stacks.values())
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for stack, count in _stacks.items():
        frames = stack.split(";")
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    requests = _state["requests"] - SKIP
    lines = [f"{total} samples over {requests} requests, {_state['cpu']:.2f} s CPU inside Django", ""]
    lines += ["inclusive %  function"] + [
        f"{100 * n / total:10.1f}  {name}" for name, n in inclusive.most_common(120)
    ]
    lines += ["", "self %  function"] + [f"{100 * n / total:6.1f}  {name}" for name, n in own.most_common(60)]
    Path(DIRECTORY, f"worker-{os.getpid()}.txt").write_text("\n".join(lines) + "\n")
    Path(DIRECTORY, f"worker-{os.getpid()}.folded").write_text(
        "".join(f"{stack} {count}\n" for stack, count in _stacks.items())
    )


def application(environ, start_response):
    if not DIRECTORY:
        return perception_application(environ, start_response)
    if not _state["armed"]:
        signal.signal(signal.SIGPROF, _sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
        atexit.register(_write)
        _state["armed"] = True
    _state["inside"] = _state["requests"] >= SKIP
    _state["method"] = environ.get("REQUEST_METHOD", "")
    began = time.process_time()
    try:
        # The whole body inside the samples: Django's pages are not streamed here.
        return list(perception_application(environ, start_response))
    finally:
        if _state["inside"]:
            _state["cpu"] += time.process_time() - began
        _state["inside"] = False
        _state["requests"] += 1
        if _state["requests"] % 200 == 0:
            _write()
