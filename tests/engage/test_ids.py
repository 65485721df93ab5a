"""Run and message ids: unique in a process and across a fork."""

from __future__ import annotations

import os

from cxm.engage.engine import _new_id


def test_ids_are_unique_and_a_forked_child_does_not_repeat_them() -> None:
    ids = [_new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids go to the parent
        os.close(read)
        os.write(write, " ".join(_new_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read().split()
    os.waitpid(pid, 0)
    mine = [_new_id() for _ in range(100)]
    assert len(child) == 100
    assert not set(child) & (set(ids) | set(mine))
