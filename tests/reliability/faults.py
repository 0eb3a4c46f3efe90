"""Faults put into real parts from outside: an S3 endpoint that stops answering, a full or read-only disk."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class SwitchableProxy(threading.Thread):
    """A TCP relay on loopback in front of a real endpoint. `down()` resets every open connection and every
    new one (what a client sees of a dead endpoint); `up()` relays again. The endpoint keeps its data."""

    def __init__(self, target: str) -> None:
        super().__init__(name="switchable-proxy", daemon=True)
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.answering = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def run(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.answering:
                _reset(client)
                continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with self._lock:
                    self._open.discard(end)
                _reset(end)

    def down(self) -> None:
        self.answering = False
        with self._lock:
            open_now, self._open = list(self._open), set()
        for connection in open_now:
            _reset(connection)

    def up(self) -> None:
        self.answering = True

    def close(self) -> None:
        self.down()
        self.listener.close()


def _reset(connection: socket.socket) -> None:
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass


@contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of `megabytes` mounted at `folder` (which must be empty); skips the test where mounting is not
    permitted (not root, no CAP_SYS_ADMIN): the fault cannot be made there without changing gongkai."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}): needs root with CAP_SYS_ADMIN")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write into `folder` until its file system is full; returns the filler file (delete it to free the space)."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"\0" * (1 << 20))
                os.fsync(stream.fileno())
        except OSError:
            pass
    return filler


def set_read_only(folder: Path, read_only: bool) -> None:
    """Remount the tmpfs at `folder` read-only or writable again (root ignores file permissions)."""
    subprocess.run(["mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(folder)], check=True)
