"""Submissions under load, the same way for Perception and for a peer project.

A gunicorn server (2 sync workers) pinned to one core with ``taskset``, this process's
16 client threads pinned to the other; for ``duration`` seconds each thread plays new
respondents one after the other: GET the form (a new browser each time: its own
cookies), POST the answers. Reports throughput, p50/p95 of the whole GET + POST,
errors, and the server's CPU seconds per accepted respondent, read from the workers'
/proc CPU time (user + system), which a busy shared machine disturbs far less than
wall-clock times.
"""

import os
import re
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(c) for c in children]


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers_cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in workers(self.process.pid)}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_server(python: str, wsgi: str, cwd: Path, env: dict, core: int = 1) -> Server:
    """gunicorn with 2 sync workers, pinned to ``core``; waits until it answers."""
    port = free_port()
    command = ["taskset", "-c", str(core), python, "-m", "gunicorn", wsgi]
    command += [
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn {wsgi} did not start") from None
            time.sleep(0.3)
    return Server(process, port)


def run_threads(player: Callable[[], None], threads: int) -> None:
    """``player`` in ``threads`` threads at once; returns when every one has ended."""
    pool = [threading.Thread(target=player) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


# A form's fields from its page: (page text) -> fields to post, with the CSRF token.
FillForm = Callable[[str], dict[str, str]]


def respond(base: str, path: str, fill: FillForm) -> bool:
    """One new respondent: GET the form, POST the answers; True if the answer was accepted
    (a redirect, as both projects answer a stored response). Sent as a reverse proxy
    terminating HTTPS would pass it on (``X-Forwarded-Proto``), so secure cookies are
    carried by hand."""
    opener = urllib.request.build_opener(_NoRedirect)
    url = base + path
    https = url.replace("http://", "https://", 1)
    proxy = {"X-Forwarded-Proto": "https", "Referer": https, "Origin": https.split(path)[0]}
    got = opener.open(urllib.request.Request(url, headers=proxy), timeout=60)  # noqa: S310 - our own server
    page = got.read().decode()
    cookies = "; ".join(c.split(";", 1)[0] for c in got.headers.get_all("Set-Cookie") or [])
    body = urllib.parse.urlencode(fill(page), doseq=True).encode()
    request = urllib.request.Request(url, data=body, headers=proxy | {"Cookie": cookies})  # noqa: S310
    try:
        status = opener.open(request, timeout=60).status
    except urllib.error.HTTPError as error:
        status = error.code
    return status in (301, 302, 303)


def warm_up(server: Server, path: str, fill: FillForm, threads: int) -> int:
    """Warm every worker before measuring: two rounds of ``threads`` respondents at once, so
    no worker is left cold (one after another, the first few may all go to whichever worker
    booted first, and another's first request, which imports the URLconf and every view,
    a second or more of CPU, then lands in the measured time). Returns how many answers
    were accepted."""
    accepted = []

    def player() -> None:
        for _ in range(2):
            try:
                accepted.append(respond(server.base, path, fill))
            except Exception:  # counted like the measured run's errors: not accepted
                accepted.append(False)

    run_threads(player, threads)
    return sum(accepted)


def submissions(server: Server, path: str, fill: FillForm, duration: float, threads: int = 16) -> dict:
    """Run the load; client threads on core 0. Returns the measures (``accepted`` is what
    the server said it stored; compare it with what the database holds)."""
    os.sched_setaffinity(0, {0})
    warmed = warm_up(server, path, fill, threads)
    before = server.workers_cpu()
    times: list[float] = []
    errors = accepted = 0
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def player() -> None:
        nonlocal errors, accepted
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                ok = respond(server.base, path, fill)
            except Exception:  # a refused or dropped connection is an error like a 500
                ok = False
            took = time.perf_counter() - began
            with lock:
                times.append(took)
                accepted += ok
                errors += not ok

    began = time.monotonic()
    run_threads(player, threads)
    elapsed = time.monotonic() - began
    after = server.workers_cpu()
    cpu = sum(after[p] - before.get(p, 0.0) for p in after)
    ordered = sorted(times)
    return {
        "seconds": round(elapsed, 1),
        "attempts": len(times),
        "accepted": accepted,
        "warm_up": warmed,
        "errors": errors,
        "per_second": round(accepted / elapsed, 1),
        "p50": round(statistics.median(ordered), 3) if ordered else None,
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3) if ordered else None,
        "cpu_ms_per_accepted": round(1000 * cpu / accepted, 1) if accepted else None,
    }


def csrf_token(page: str) -> str:
    return CSRF.search(page).group(1)
