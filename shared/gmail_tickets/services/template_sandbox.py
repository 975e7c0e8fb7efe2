"""Jinja2 templates that admins write, rendered so that no template can hold up the caller or take the
process down with it.

The sandbox keeps a template from reaching Python internals. On top of it, every render is bounded:
- a budget of time, steps, call depth and range items (`_Budget`), checked by the sandbox's hooks, ends runaway
  loops and recursion; operators and filters that could build a huge value in one step are refused; the output
  is cut at MAX_OUTPUT_CHARS;
- the render runs on its own thread and is waited for at most RENDER_SECONDS: a template still running then
  (work the hooks never see) is given up, and that template text is not tried again in this process.
Whatever stops a render is raised to the caller as it is: deciding what to do instead is the caller's job.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT_CHARS = 20_000  # an acknowledgement is a few lines; anything longer is cut here
MAX_VALUE_SIZE = 1_000_000  # characters or items of one value built in one step (`*`, `+`, a filter)
MAX_STEPS = 100_000  # calls, attribute and item reads, operators, output pieces: a render does dozens
MAX_CALL_DEPTH = 30  # nested calls (a macro calling itself)
MAX_RANGE_ITEMS = 100_000  # range() items in all, across every loop of one render (Jinja's limit per range)
MAX_POWER_BITS = 4_096  # the largest result `**` may produce
BUDGET_SECONDS = 0.5  # the hooks end a render that has run this long
RENDER_SECONDS = 2.0  # and a render is waited for at most this long, hooks or not
_CUT_NOTE = "\n[…]"
_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateBudgetExceeded(Exception):
    """The render used more time, calls or memory than an acknowledgement needs."""


class TemplateTimedOut(TemplateBudgetExceeded):
    """The render did not finish in time (and may still be running on its thread)."""


@dataclass
class _Budget:
    """One render's allowance; the sandbox's hooks spend it."""

    deadline: float = field(default_factory=lambda: time.monotonic() + BUDGET_SECONDS)
    steps: int = 0
    depth: int = 0
    range_items: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateBudgetExceeded(f"more than {MAX_STEPS} steps")
        if time.monotonic() > self.deadline:
            raise TemplateBudgetExceeded(f"ran longer than {BUDGET_SECONDS} s")


_current = threading.local()


def _budget() -> _Budget:
    budget = getattr(_current, "budget", None)
    if budget is None:
        raise TemplateBudgetExceeded("rendered outside a budget")
    return budget


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set)) else 0


def _check_size(size: int) -> None:
    if size > MAX_VALUE_SIZE:
        raise TemplateBudgetExceeded(f"a value of {size} items or characters")


def _check_format(text: Any) -> None:
    """`%` formatting with a width or precision that would pad a value out to megabytes."""
    if isinstance(text, str):
        for width in _FORMAT_WIDTH.findall(text):
            if "*" in width or any(w and int(w) > 1_000 for w in width):
                raise TemplateBudgetExceeded("a format width or precision above 1,000")


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox (lists and dicts read-only: no growing them in a loop) with the budget checked at every call,
    attribute, item and operator it intercepts."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().step()
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and max(abs(left), 2).bit_length() * right > MAX_POWER_BITS:
                raise TemplateBudgetExceeded("a power too large")
        elif operator == "*" and (_sized(left) or _sized(right)):
            count = right if _sized(left) else left
            if isinstance(count, int):
                _check_size((_sized(left) or _sized(right)) * count)
        elif operator == "%":
            _check_format(left)
        elif operator == "+":
            _check_size(_sized(left) + _sized(right))
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _budget().step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _budget().step()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise TemplateBudgetExceeded(f"calls nested deeper than {MAX_CALL_DEPTH}")
            _check_method(__obj, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1


def _check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A text's own method (`ljust`, `replace`, `expandtabs`, `join`, …) whose result could be huge: its size is
    at most the text's times the largest number or text among the arguments."""
    bound = getattr(method, "__wrapped__", method)  # the sandbox wraps str.format in its own safe formatter
    owner = getattr(bound, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return
    if (getattr(bound, "__name__", "") in ("format", "format_map") and isinstance(owner, str)
            and any(int(number) > 1_000 for number in re.findall(r"\d+", owner))):  # `{:>999999999}`
        raise TemplateBudgetExceeded("a format width or precision above 1,000")
    factor = max([1, *(a for a in (*args, *kwargs.values()) if isinstance(a, int)),
                  *(_sized(a) for a in (*args, *kwargs.values()))])
    _check_size((len(owner) + 1) * factor)


def _trace(frame: FrameType, event: str, arg: Any) -> Any:
    """The render thread's tracer: each line a template runs spends budget, so a loop that calls, reads and
    prints nothing still ends. Only the template's own code is traced."""
    if frame.f_code.co_filename != "<template>":
        return None
    return _trace_lines


def _trace_lines(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "line":
        _budget().step()
    return _trace_lines


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    budget = _budget()
    budget.range_items += len(numbers)
    if budget.range_items > MAX_RANGE_ITEMS:
        raise TemplateBudgetExceeded(f"more than {MAX_RANGE_ITEMS} range() items")
    return numbers


def _sized_filter(name: str, size: Callable[..., int]) -> Callable[..., Any]:
    """A built-in filter that refuses arguments that would make a huge value. `size` sees the filter's own
    arguments, without the context Jinja passes first to some filters (`replace` takes the eval context)."""
    original = _env.filters[name]
    pass_arg = getattr(original, "jinja_pass_arg", None)

    def bounded(*args: Any, **kwargs: Any) -> Any:
        _budget().step()
        _check_size(size(*(args[1:] if pass_arg is not None else args), **kwargs))
        return original(*args, **kwargs)

    bounded.__name__ = name
    if pass_arg is not None:
        bounded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return bounded


def _stepped_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """Jinja's `sum` adds in one C call; adding lists that way is quadratic and never checked. Here each
    addition is a step and its size is checked."""
    total = start
    getter = (lambda item: _env.getitem(item, attribute)) if attribute is not None else (lambda item: item)
    for item in iterable:
        value = getter(item)
        _budget().step()
        _check_size(_sized(total) + _sized(value))
        total = total + value
    return total


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> Any:
    _budget().step()
    _check_format(value)
    return _plain_format(value, *args, **kwargs)


_env = _BoundedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.globals["range"] = _bounded_range
_env.globals.pop("lipsum", None)  # text on demand, as much as asked for
_plain_format = _env.filters["format"]
_env.filters.update({
    "format": _format_filter,
    "center": _sized_filter("center", lambda value, width=80: max(_sized(str(value)), int(width))),
    "indent": _sized_filter("indent", lambda value, width=4, *a, **k: _sized(str(value)) * (
        1 + (int(width) if isinstance(width, int) else _sized(width)))),
    "sum": _stepped_sum,
    "replace": _sized_filter("replace", lambda value, old, new, count=None: _sized(str(value)) * max(
        1, _sized(str(new)))),
})


def version_of(template: str | None) -> str:
    """A short name for one text of a template (what failures are kept and remembered by)."""
    return hashlib.sha256((template or "").encode("utf-8", "surrogatepass")).hexdigest()[:12]


def render_within_budget(template: str, values: dict[str, object]) -> str:
    """Render within a fresh budget on this thread; the output is cut at MAX_OUTPUT_CHARS."""
    _current.budget = _Budget()
    previous = sys.gettrace()
    sys.settrace(_trace)  # this thread only
    try:
        parts: list[str] = []
        size = 0
        for chunk in _compiled(template).generate(values):
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                return "".join(parts)[:MAX_OUTPUT_CHARS].rstrip() + _CUT_NOTE
            _budget().step()
        return "".join(parts)
    finally:
        sys.settrace(previous)
        _current.budget = None


@functools.lru_cache(maxsize=64)
def _compiled(template: str) -> Template:
    """Compiled once per text: every new ticket renders its brand's template."""
    return _env.from_string(template)


_hung: set[str] = set()  # template versions whose render outlived RENDER_SECONDS in this process
_hung_lock = threading.Lock()


def render(template: str, values: dict[str, object]) -> str:
    """The template's text for `values`, or the exception that stopped it (raised here, whatever it was).
    Runs on its own thread so the caller waits RENDER_SECONDS at most."""
    version = version_of(template)
    with _hung_lock:
        if version in _hung:
            raise TemplateTimedOut("this template ran too long before; not tried again")
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["text"] = render_within_budget(template, values)
        except BaseException as exc:  # every failure goes to the waiting caller
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="ack-template", daemon=True)
    worker.start()
    worker.join(RENDER_SECONDS)
    if worker.is_alive():
        with _hung_lock:
            _hung.add(version)
        raise TemplateTimedOut(f"did not finish in {RENDER_SECONDS} s")
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome["text"])
