"""Grad mode: whether ops record a graph. One flag per thread, as in PyTorch.

``no_grad()``, ``enable_grad()`` and ``set_grad_enabled(flag)`` are context managers and
decorators. A decorated generator function runs every step of its body in the mode (not just
the call that creates the generator). Each thread starts with grad mode on, and changing it in
one thread never changes what another thread records.
"""

import functools
import inspect
import threading


class _ThreadGradMode(threading.local):
    def __init__(self):  # runs once in every thread that looks at the mode
        self.enabled = True  # an instance attribute: reads about 2.5x faster than a class default here
        self.saved = []  # modes to restore on leaving nested contexts, innermost last


_mode = _ThreadGradMode()


def is_grad_enabled():
    """True unless this thread is inside ``no_grad()`` (or ``set_grad_enabled(False)``)."""
    return _mode.enabled


class _GradModeContext:
    """Sets grad mode to ``self.flag`` on entry and restores this thread's previous mode on exit."""

    flag = True

    def __new__(cls, *args):
        if cls is not set_grad_enabled and args:
            if len(args) == 1 and callable(args[0]):  # @no_grad without parentheses, as PyTorch allows
                return cls()(args[0])
            raise TypeError(f"{cls.__name__}() takes no arguments (use it as `with {cls.__name__}():` "
                            f"or as a decorator), got {args!r}")
        return super().__new__(cls)

    def __enter__(self):
        _mode.saved.append(_mode.enabled)
        _mode.enabled = self.flag
        return self

    def __exit__(self, *exc):
        _mode.enabled = _mode.saved.pop()
        return False

    def _fresh(self):
        """A context like this one, for one call of a decorated function."""
        context = object.__new__(type(self))
        context.flag = self.flag
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
    """Turns grad mode back on inside a ``no_grad`` block (this thread only)."""

    flag = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(flag)``: sets this thread's grad mode now; as a context manager, restores it on exit.

    As in PyTorch, calling it alone switches the mode; ``with set_grad_enabled(False):`` and
    ``@set_grad_enabled(False)`` limit it to the block or the function.
    """

    def __init__(self, flag):
        if not isinstance(flag, bool):
            raise TypeError(f"set_grad_enabled: flag must be True or False, got {flag!r}")
        self.flag = flag
        self._before = _mode.enabled
        _mode.enabled = flag

    def __enter__(self):
        _mode.saved.append(self._before)  # the mode from before the constructor switched it
        return self

    def __call__(self, func):
        _mode.enabled = self._before  # used as a decorator: the switch applies to the function's calls only
        return super().__call__(func)

    def _fresh(self):
        context = object.__new__(_GradModeContext)
        context.flag = self.flag
        return context
