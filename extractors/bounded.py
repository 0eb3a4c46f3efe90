"""Work on an untrusted file in a child process with a time and a memory limit (ExtractionLimits.max_seconds,
max_memory_bytes): a parser that spins, a decompression bomb or a document of absurd size ends that child,
never the process that asked, and the file comes back as `too_slow` or `too_large`.

Every claimed file is checked this way (gongkai.document.check.check_bytes). The child is a fork: it starts
with every reader the parent imported, and only the file's own work runs in it (no locks of the parent's other
threads are taken there). The memory limit is the address space the work may add to what the child starts
with. A fork costs ~60 ms per file on this machine's 2-core VM (copy-on-write faults): nothing beside a
review run's seconds, which is why `gongkai check` and the Python API's check_file stay in one process.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gongkai.extractors import safety
from gongkai.extractors.base import ExtractionError, ExtractionLimits

Result = TypeVar("Result")


def run_bounded(work: Callable[[], Result], path: Path, limits: ExtractionLimits) -> Result:
    """`work()` (on the file at `path`) in a forked child; an ExtractionError is raised here as it was there."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_work_in_child, args=(work, path, limits, sender), name=f"read {path.name}")
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.max_seconds):
            raise safety.too_slow(path, limits.max_seconds)
        try:
            outcome = receiver.recv()
        except EOFError:  # it died without a word: killed for memory by the kernel, or a crash in a C library
            child.join()
            raise safety.too_large(path, f"the reader stopped ({_how_it_ended(child.exitcode)}), probably past its "
                                         f"{_mebibytes(limits)} MiB memory limit") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    kind, *payload = outcome
    if kind == "done":
        return payload[0]
    if kind == "refused":
        code, message, file_format = payload
        error = ExtractionError(code, message)
        error.format = file_format
        raise error
    raise RuntimeError(f"读取 {path.name} 时程序出错 / reading {path.name} failed in gongkai itself:\n{payload[0]}")


def _work_in_child(work: Callable[[], Any], path: Path, limits: ExtractionLimits, sender: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handlers (`up` stops on SIGTERM) are not ours
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    budget = _address_space() + limits.max_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    try:
        try:
            outcome: tuple[Any, ...] = ("done", work())
        except ExtractionError as error:
            outcome = ("refused", error.code, error.message, error.format)
        except MemoryError:
            outcome = _out_of_memory(path, limits)
        try:
            sender.send(outcome)
        except MemoryError:  # the text itself is too large to hand over
            sender.send(_out_of_memory(path, limits))
    except Exception:
        sender.send(("failed", traceback.format_exc()[-4000:]))
    finally:
        sender.close()


def _out_of_memory(path: Path, limits: ExtractionLimits) -> tuple[str, str, str, None]:
    error = safety.too_large(path, f"reading it needs more than {_mebibytes(limits)} MiB of memory")
    return "refused", error.code, error.message, None


def _mebibytes(limits: ExtractionLimits) -> int:
    return limits.max_memory_bytes // (1 << 20)


def _address_space() -> int:
    """This process's virtual size in bytes (VmSize)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def _how_it_ended(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        return f"signal {signal.Signals(-exit_code).name}"
    return f"exit code {exit_code}"
