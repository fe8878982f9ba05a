"""Thread pools that a Ctrl-C does not wait for.

``concurrent.futures.ThreadPoolExecutor`` as a context manager waits for every task still
running when its block is left, also when it is left by a KeyboardInterrupt: a Ctrl-C during
``plan``'s live reads (or ``eval``'s invocations) would sit there until the slowest call answers.
``abandoning_pool`` waits on a normal exit only; left by an exception, it cancels the queued
tasks and returns at once (the running ones finish, or die with the process, unobserved: their
answers are no longer wanted). Only for tasks that change nothing (reads, invocations): the
executor, which mutates, has its own interruption handling (apply/executor.py).

Must not: do I/O, print.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterator


@contextmanager
def abandoning_pool(max_workers: int, **options: Any) -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=max_workers, **options)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
