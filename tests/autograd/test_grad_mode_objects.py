"""Grad-mode objects (issue 19): reusable, per thread and per asyncio task, each restoring what it replaced."""

import asyncio
import threading

import numpy as np

from tinygrad_sm import Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled

torch = None
try:
    import torch
except ImportError:  # pragma: no cover - torch is an optional extra
    pass


def records():
    """True if an op run now records a graph."""
    return (Tensor(np.ones(2), requires_grad=True) * 2).requires_grad


def test_a_set_grad_enabled_object_used_in_two_with_blocks_keeps_grad_off_both_times():
    ctx = set_grad_enabled(False)
    seen = []
    for _ in range(2):
        with ctx:
            seen.append(records())
        seen.append(records())
    assert seen == [False, True, False, True]
    if torch is not None:
        tctx, tseen = torch.set_grad_enabled(False), []
        for _ in range(2):
            with tctx:
                tseen.append((torch.ones(2, requires_grad=True) * 2).requires_grad)
            tseen.append((torch.ones(2, requires_grad=True) * 2).requires_grad)
        assert tseen == seen


def test_a_no_grad_object_can_be_reused_and_nested_in_itself():
    ctx = no_grad()
    with ctx:
        with ctx:
            assert not records()
        assert not records()
    assert records()
    with ctx:
        assert not records()
    assert records()


def test_no_grad_entered_in_one_thread_and_left_in_another_raises_nothing():
    ctx, errors, seen = no_grad(), [], []
    ctx.__enter__()
    assert not is_grad_enabled()

    def leave():
        try:
            ctx.__exit__(None, None, None)  # restores what it replaced on enter (on), as PyTorch's does
            seen.append(is_grad_enabled())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    worker = threading.Thread(target=leave)
    worker.start()
    worker.join()
    assert errors == [] and seen == [True]
    assert not is_grad_enabled()  # this thread's block was never left
    with enable_grad():
        assert records()
    set_grad_enabled(True)
    assert records()


def test_asyncio_tasks_leaving_their_blocks_out_of_order_keep_their_own_mode():
    async def in_no_grad(events, seen):
        with no_grad():
            events["first_in"].set()
            await events["second_in"].wait()
            seen["no_grad"] = records()
        events["first_out"].set()  # leaves before the other task's block ends

    async def in_enable_grad(events, seen):
        await events["first_in"].wait()
        with no_grad():
            with enable_grad():
                events["second_in"].set()
                await events["first_out"].wait()
                seen["enable_grad"] = records()
            seen["after_enable_grad"] = records()
        seen["after_no_grad"] = records()

    async def main():
        events = {name: asyncio.Event() for name in ("first_in", "second_in", "first_out")}
        seen = {}
        await asyncio.gather(in_no_grad(events, seen), in_enable_grad(events, seen))
        return seen

    seen = asyncio.run(main())
    assert seen == {"no_grad": False, "enable_grad": True, "after_enable_grad": False, "after_no_grad": True}
    assert records()


def test_a_task_switching_grad_mode_leaves_the_loop_and_other_tasks_alone():
    async def switch_off():
        set_grad_enabled(False)
        return is_grad_enabled()

    async def main():
        off = await asyncio.create_task(switch_off())
        return off, is_grad_enabled()

    assert asyncio.run(main()) == (False, True)
    assert is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_switches_only_inside_the_calls():
    @set_grad_enabled(False)
    def predict():
        return records()

    assert records()
    assert predict() is False and predict() is False
    assert records()
