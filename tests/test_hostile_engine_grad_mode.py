"""``no_grad`` / ``enable_grad`` under concurrent use, recursion and generators.

The grad mode is per thread. Whatever form the switch takes (context manager, decorator with or
without parentheses, one instance reused by many threads, nested, recursive, generator or
coroutine functions), a caller's mode after the call is the mode it had before, and the body
runs with the switch's mode.
"""

import asyncio
import inspect
import threading

import pytest

from autograd import Tensor, Value, enable_grad, is_grad_enabled, no_grad

TIMEOUT = 10  # seconds a thread waits for its partner before the test fails


def _run_in_threads(*targets):
    """Run each target in its own thread; re-raise the first failure."""
    failures = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # reported to the test below
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=4 * TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if failures:
        raise failures[0]


def _in_mode(enabled):
    """A context that sets the grad mode to ``enabled``."""
    return enable_grad() if enabled else no_grad()


# ------------------------------------------------------------------ threads


def test_decorated_function_restores_each_threads_own_mode_when_calls_overlap():
    # Thread A calls with grad on, thread B from inside no_grad; both are inside the decorated
    # function at once, and A returns first. A shared stack of saved modes would hand A the
    # mode B saved (off) and B the mode A saved (on).
    both_inside = threading.Barrier(2, timeout=TIMEOUT)
    a_returned = threading.Event()
    seen = {}

    @no_grad
    def infer(name):
        seen[name + " inside"] = is_grad_enabled()
        both_inside.wait()
        if name == "b":
            assert a_returned.wait(TIMEOUT)

    def thread_a():
        infer("a")
        seen["a after"] = is_grad_enabled()
        a_returned.set()

    def thread_b():
        with no_grad():
            infer("b")
            seen["b after"] = is_grad_enabled()

    _run_in_threads(thread_a, thread_b)
    assert seen == {"a inside": False, "b inside": False, "a after": True, "b after": False}


@pytest.mark.parametrize("switch", [no_grad, enable_grad])
@pytest.mark.parametrize("form", ["decorator", "decorator()", "reused decorator", "reused with"])
def test_two_thousand_interleaved_calls_leave_no_thread_in_the_wrong_mode(switch, form):
    # Two threads, 1,000 calls each, meeting at a barrier inside every call so that their
    # entries and exits interleave; each caller alternates its own mode between calls.
    calls_per_thread = 1_000
    meet = threading.Barrier(2, timeout=TIMEOUT)
    inside_mode = switch is enable_grad
    shared_instance = switch()

    def body():
        mode = is_grad_enabled()
        meet.wait()
        return mode

    if form == "decorator":
        call = switch(body)
    elif form == "decorator()":
        call = switch()(body)
    elif form == "reused decorator":
        call = shared_instance(body)
    else:

        def call():
            with shared_instance:
                return body()

    wrong = []

    def worker(first_mode):
        for k in range(calls_per_thread):
            caller_mode = first_mode if k % 2 == 0 else not first_mode
            with _in_mode(caller_mode):
                seen_inside = call()
                if seen_inside != inside_mode or is_grad_enabled() != caller_mode:
                    wrong.append(k)
        if not is_grad_enabled():
            wrong.append("after all calls")

    _run_in_threads(lambda: worker(True), lambda: worker(False))
    assert wrong == []


def test_a_thread_in_no_grad_does_not_switch_off_another_threads_training():
    # The symptom: a training thread's gradients silently 0.0 while an inference thread runs
    # a decorated function.
    meet = threading.Barrier(2, timeout=TIMEOUT)
    gradients = []

    @no_grad()
    def predict(x):
        meet.wait()
        return x * x

    def inference():
        for _ in range(200):
            with no_grad():  # the caller itself is in no_grad: it saves "off"
                predict(Value(1.0))

    def training():
        for _ in range(200):
            predict(Value(1.0))
            w = Value(3.0)
            (w * w).backward()
            gradients.append(w.grad)

    _run_in_threads(inference, training)
    assert gradients == [6.0] * 200


# ------------------------------------------------------------------ nesting and recursion


def test_recursive_decorated_function_runs_every_level_in_its_mode_and_restores_the_callers():
    modes = []

    @enable_grad()
    def countdown(n):
        modes.append(is_grad_enabled())
        if n:
            with no_grad():
                countdown(n - 1)
                modes.append(is_grad_enabled())

    with no_grad():
        countdown(5)
        assert not is_grad_enabled()
    assert modes == [True] * 6 + [False] * 5  # every level on, then each caller off
    assert is_grad_enabled()


def test_one_instance_entered_twice_in_one_thread_restores_in_order():
    switch = no_grad()
    with switch:
        with enable_grad():
            with switch:
                assert not is_grad_enabled()
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_enable_grad_inside_a_no_grad_decorated_function_records_a_graph():
    @no_grad
    def partly_recorded(x):
        constant = x * x
        with enable_grad():
            recorded = x * x
        return constant, recorded

    x = Tensor([1.0, 2.0], requires_grad=True)
    constant, recorded = partly_recorded(x)
    assert not constant.requires_grad
    assert recorded.requires_grad


def test_decorated_function_keeps_its_name_docstring_and_signature():
    @no_grad
    def predict(x, scale=2):
        """Predict."""
        return x * scale

    assert predict.__name__ == "predict"
    assert predict.__doc__ == "Predict."
    assert list(inspect.signature(predict).parameters) == ["x", "scale"]


def test_decorated_function_restores_the_mode_when_it_raises():
    @no_grad()
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert is_grad_enabled()


# ------------------------------------------------------------------ generators


def test_decorated_generator_body_runs_with_the_decorators_mode():
    @no_grad
    def modes():
        yield is_grad_enabled()
        yield is_grad_enabled()

    assert inspect.isgeneratorfunction(modes)
    assert list(modes()) == [False, False]


def test_decorated_generator_leaves_the_callers_mode_alone_between_yields():
    @no_grad()
    def batches():
        for k in range(3):
            yield Value(float(k)) * Value(2.0)

    seen = []
    for batch in batches():
        assert batch.parents == ()  # made inside no_grad
        seen.append(is_grad_enabled())  # the caller is recording
        x = Value(1.0)
        assert (x * x).parents == (x, x)
    assert seen == [True, True, True]


def test_enable_grad_generator_records_while_its_caller_is_in_no_grad():
    @enable_grad
    def graphs():
        x = Value(2.0)
        yield x * x

    with no_grad():
        for y in graphs():
            assert y.parents != ()
            assert not is_grad_enabled()


def test_decorated_generator_send_throw_close_and_return_run_in_its_mode():
    log = []

    @no_grad
    def echo():
        try:
            received = yield "ready"
            log.append(("sent", received, is_grad_enabled()))
            try:
                yield "waiting"
            except ValueError:
                log.append(("caught", is_grad_enabled()))
            yield "again"
        finally:
            log.append(("finally", is_grad_enabled()))

    generator = echo()
    assert next(generator) == "ready"
    assert generator.send(41) == "waiting"
    assert generator.throw(ValueError("x")) == "again"
    assert is_grad_enabled()
    generator.close()
    assert is_grad_enabled()
    assert log == [("sent", 41, False), ("caught", False), ("finally", False)]

    @no_grad
    def returns():
        yield 1
        return "done"

    def delegate():
        result = yield from returns()
        return result

    with pytest.raises(StopIteration) as stop:
        inner = delegate()
        next(inner)
        next(inner)
    assert stop.value.value == "done"


def test_exception_leaving_a_decorated_generator_restores_the_callers_mode():
    @no_grad
    def fails():
        yield 1
        raise KeyError("boom")

    generator = fails()
    next(generator)
    with pytest.raises(KeyError):
        next(generator)
    assert is_grad_enabled()


def test_decorated_generators_in_two_threads_each_see_their_own_mode():
    meet = threading.Barrier(2, timeout=TIMEOUT)
    wrong = []

    @no_grad
    def steps(n):
        for _ in range(n):
            meet.wait()
            yield is_grad_enabled()

    def consumer(caller_mode):
        with _in_mode(caller_mode):
            for inside in steps(300):
                if inside or is_grad_enabled() != caller_mode:
                    wrong.append(caller_mode)

    _run_in_threads(lambda: consumer(True), lambda: consumer(False))
    assert wrong == []


# ------------------------------------------------------------------ coroutines


def test_decorated_coroutine_runs_in_its_mode_without_changing_other_tasks_mode():
    other_task_modes = []

    @no_grad
    async def infer():
        modes = []
        for _ in range(3):
            modes.append(is_grad_enabled())
            await asyncio.sleep(0)  # another task runs here
        return modes

    async def train():
        for _ in range(3):
            other_task_modes.append(is_grad_enabled())
            await asyncio.sleep(0)

    async def both():
        return await asyncio.gather(infer(), train())

    assert inspect.iscoroutinefunction(infer)
    infer_modes, _ = asyncio.run(both())
    assert infer_modes == [False, False, False]
    assert other_task_modes == [True, True, True]
    assert is_grad_enabled()


def test_async_generator_function_cannot_be_decorated():
    with pytest.raises(TypeError, match=r"async generator.*with no_grad"):

        @no_grad
        async def stream():
            yield 1


def test_switch_given_a_non_callable_says_how_to_use_it():
    with pytest.raises(TypeError, match="no_grad"):
        no_grad(5)
    with pytest.raises(TypeError, match="enable_grad"):
        enable_grad()("not a function")
