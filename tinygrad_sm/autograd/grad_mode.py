"""Grad mode: whether ops record a graph. One mode per thread and per asyncio task.

``no_grad()``, ``enable_grad()`` and ``set_grad_enabled(flag)`` are context managers and
decorators. A decorated generator function runs every step of its body in the mode (not just
the call that creates the generator). Each thread starts with grad mode on, and changing it in
one thread never changes what another thread records (as in PyTorch). The mode lives in a
``contextvars.ContextVar``, so each asyncio task, which runs in its own copy of the context, has
its own mode too. A context object remembers the mode it replaced, one entry per ``with`` it is
in, and restores that on exit: the same object can be used again, nested, or left in another
thread or task (which then gets the remembered mode, as PyTorch's ``no_grad`` does).
"""

import contextvars
import functools
import inspect

_enabled = contextvars.ContextVar("tinygrad_sm_grad_enabled")


class _GradModeReader:
    """``_mode.enabled`` is truthy when this thread or task records a graph (read by ``Tensor._apply``).

    ``enabled`` calls the variable's C ``get`` directly (no Python frame: faster than the
    ``threading.local`` it replaced). In a context where the mode was never set, ``get`` returns
    its argument, this object, which is truthy: grad mode starts on.
    """

    __slots__ = ()
    enabled = property(_enabled.get)


_mode = _GradModeReader()


def is_grad_enabled():
    """True unless this thread or task is inside ``no_grad()`` (or ``set_grad_enabled(False)``)."""
    return _enabled.get(True)


class _GradModeContext:
    """Sets grad mode to ``self.flag`` on entry and restores the mode it replaced on exit."""

    flag = True

    def __new__(cls, *args):
        if cls is not set_grad_enabled and args:
            if len(args) == 1 and callable(args[0]):  # @no_grad without parentheses, as PyTorch allows
                return cls()(args[0])
            raise TypeError(f"{cls.__name__}() takes no arguments (use it as `with {cls.__name__}():` "
                            f"or as a decorator), got {args!r}")
        context = super().__new__(cls)
        context._replaced = []  # the modes this object replaced, innermost last
        return context

    def __enter__(self):
        self._replaced.append(_enabled.get(True))
        _enabled.set(self.flag)
        return self

    def __exit__(self, *exc):
        if self._replaced:  # (an exit without an enter has nothing to restore)
            _enabled.set(self._replaced.pop())
        return False

    def _fresh(self):
        """A context like this one, for one call of a decorated function."""
        context = object.__new__(type(self))
        context.flag, context._replaced = self.flag, []
        return context

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def run_in_mode(*args, **kwargs):
            with self._fresh():
                return func(*args, **kwargs)
        return run_in_mode

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def generate_in_mode(*args, **kwargs):
            with self._fresh():
                steps = func(*args, **kwargs)
            resume = functools.partial(steps.send, None)
            while True:  # each resumption of the body runs in the mode; the caller's code between them does not
                try:
                    with self._fresh():
                        value = resume()
                except StopIteration as stop:
                    return stop.value
                try:
                    sent = yield value
                except GeneratorExit:
                    with self._fresh():
                        steps.close()
                    raise
                except BaseException as error:
                    resume = functools.partial(steps.throw, error)
                else:
                    resume = functools.partial(steps.send, sent)
        return generate_in_mode


class no_grad(_GradModeContext):
    """Inside it, no op records a graph: for inference and for updating parameters in place."""

    flag = False


class enable_grad(_GradModeContext):
    """Turns grad mode back on inside a ``no_grad`` block (this thread or task only)."""

    flag = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(flag)``: sets this thread's grad mode now; as a context manager, restores it on exit.

    As in PyTorch, calling it alone switches the mode; ``with set_grad_enabled(False):`` and
    ``@set_grad_enabled(False)`` limit it to the block or the function. The object can be reused:
    every ``with ctx:`` sets the flag again and restores the mode it replaced.
    """

    def __init__(self, flag):
        if not isinstance(flag, bool):
            raise TypeError(f"set_grad_enabled: flag must be True or False, got {flag!r}")
        self.flag = flag
        self._before = _enabled.get(True)  # the mode the constructor replaced, until a `with` takes it over
        _enabled.set(flag)

    def __enter__(self):
        before, self._before = self._before, None
        self._replaced.append(_enabled.get(True) if before is None else before)
        _enabled.set(self.flag)
        return self

    def __call__(self, func):
        if self._before is not None:  # used as a decorator: the switch applies to the function's calls only
            _enabled.set(self._before)
            self._before = None
        return super().__call__(func)

    def _fresh(self):
        context = _GradModeContext.__new__(_GradModeContext)
        context.flag = self.flag
        return context
