"""Running a batch on a Dask distributed cluster: the scheduler's address checked before
anything starts, the cluster's log noise kept quiet, each run sent as the same pure task the
local workers run (`executors.execute`), a lost scheduler reported as ClusterLost."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import secrets
from collections.abc import Iterable, Iterator

from carbonsim.batch.executors import IN_FLIGHT, RunOutput, execute, message_of

__all__ = ["DaskExecutor", "address_problem", "quiet_cluster_logs"]


_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|ucx)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9_.-]*)"
                      r":(\d{1,5})$")


def address_problem(address: str) -> str | None:
    """None if ``address`` is a scheduler address (tcp://HOST:PORT), else what is wrong."""
    if isinstance(address, str) and address.startswith("inproc://"):
        return None
    found = _ADDRESS.match(address) if isinstance(address, str) else None
    if found is None or not 1 <= int(found.group(3)) <= 65535:
        shown = repr(address) if len(str(address)) <= 60 else repr(str(address)[:57] + "...")
        return f"expected an address tcp://HOST:PORT such as tcp://10.0.0.5:8786; got {shown}"
    return None


def quiet_cluster_logs() -> dict:
    """Silence the Dask client's loggers (they print tracebacks of a lost connection, some of
    them after the connection is closed); returns their levels, for ``_restore``."""
    import logging

    try:
        import distributed  # noqa: F401 - its import sets up its loggers
    except ImportError:
        return {}
    names = ["distributed", *(n for n in logging.root.manager.loggerDict
                              if n.startswith("distributed."))]
    levels = {n: logging.getLogger(n).level for n in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return levels


def _restore(levels: dict) -> None:
    import logging

    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The Dask client's log kept off the terminal meanwhile: what went wrong is said once,
    by the batch."""
    levels = quiet_cluster_logs()
    try:
        yield
    finally:
        _restore(levels)


class DaskExecutor:
    """Runs on the Dask distributed cluster whose scheduler is at ``address`` (tcp://HOST:PORT).

    ``timeout`` (s) bounds the connection; ``retries`` re-runs a task whose execution raised
    (execute itself never raises; this covers e.g. a worker that cannot unpickle it).
    ``connect()`` may be called first (a batch does, before it creates its folder); ``run``
    connects otherwise. Losing the scheduler while running raises ClusterLost.
    Raises BatchError for a malformed address.
    """

    def __init__(self, address: str, timeout: float = 20.0, retries: int = 1) -> None:
        from carbonsim.batch.folder import BatchError

        problem = address_problem(address)
        if problem:
            raise BatchError(f"--scheduler: {problem}")
        self.address, self.timeout, self.retries = address, timeout, retries
        self._connected = None

    def connect(self) -> None:
        """Connect to the scheduler now. Raises BatchError if it cannot be reached."""
        if self._connected is None:
            self._connected = self._client()

    def close(self) -> None:
        """Close a connection that ``run`` did not use (and so did not close)."""
        client, self._connected = self._connected, None
        if client is not None:
            with _quiet(), contextlib.suppress(Exception):
                client.close(timeout=min(self.timeout, 5.0))

    def _reachable(self) -> None:
        """Raise BatchError at once if nothing listens at a tcp address (no client is made,
        whose clean-up would wait and print when it goes)."""
        import socket

        from carbonsim.batch.folder import BatchError

        found = _ADDRESS.match(self.address)
        if found is None or (found.group(1) or "tcp") != "tcp":
            return
        host = found.group(2).strip("[]")
        try:
            socket.create_connection((host, int(found.group(3))), timeout=self.timeout).close()
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise BatchError(f"cannot reach the Dask scheduler at {self.address}: {reason} "
                             "(is it running? check the address)") from None

    def _client(self):
        from carbonsim.batch.folder import BatchError

        try:
            from distributed import Client
        except ImportError:
            raise BatchError("--scheduler needs Dask distributed: "
                             "pip install 'carbonsim[distributed]'") from None
        self._reachable()
        try:
            with _quiet():
                return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None

    def run(self, specs: Iterable) -> Iterator[tuple[object, RunOutput | str]]:
        """Yield ``(spec, outcome)`` as runs finish on the cluster."""
        from distributed import as_completed

        from carbonsim.batch.folder import ClusterLost

        queue = collections.deque(specs)
        if not queue:
            return
        client, self._connected = self._connected or self._client(), None
        token = secrets.token_hex(4)  # keys of this batch only: no stale results of another
        running: dict = {}
        try:
            with _quiet():
                done = as_completed(loop=client.loop)
                while queue or running:
                    try:
                        window = max(4, IN_FLIGHT * sum(client.nthreads().values()))
                        while queue and len(running) < window:
                            spec = queue.popleft()
                            key = f"carbonsim-run-{spec.run_id}-{token}"
                            fut = client.submit(execute, spec, key=key, pure=False,
                                                retries=self.retries)
                            running[fut] = spec
                            done.add(fut)
                        fut = next(done)
                        if fut.status == "cancelled" and client.status != "running":
                            raise ClusterLost(f"lost the Dask scheduler at {self.address} "
                                              "(it stopped answering and did not come back)")
                        outcome = _dask_outcome(fut)  # gathers the result: the scheduler too
                        spec = running.pop(fut)
                        fut.release()
                    except (OSError, TimeoutError, asyncio.CancelledError) as exc:
                        reason = str(exc) if 0 < len(str(exc)) <= 100 else type(exc).__name__
                        raise ClusterLost(f"lost the Dask scheduler at {self.address} "
                                          f"({reason})") from None
                    yield spec, outcome
        finally:
            with _quiet(), contextlib.suppress(Exception):
                if running and client.status == "running":
                    client.cancel(list(running), force=True)
            with _quiet(), contextlib.suppress(Exception):
                client.close(timeout=min(self.timeout, 5.0))


def _dask_outcome(fut) -> RunOutput | str:
    if fut.status == "finished":
        return fut.result()[1]
    if fut.status == "cancelled":
        return "cancelled by the cluster (was the scheduler restarted?)"
    exc = fut.exception()
    if type(exc).__name__ == "KilledWorker":
        return f"the workers running it died, and the scheduler gave up: {exc}"
    return message_of(exc)
