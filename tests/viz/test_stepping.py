"""Step, Play/Pause and Reset: no month lands after a Pause or a Reset returned.

The races are played out deterministically: the play loop's wait (the sleep between two
months) is a test function that presses Pause or Reset while the loop is "asleep", which is
the moment Mesa's own controller steps once more anyway.
"""

from __future__ import annotations

import threading
import time

import ipyvuetify as v
import pytest
import solara

from tests.viz.standin import StandInRun
from viz.stepping import RunButtons, Stepper


class Counter:
    """A run that counts its months and stops itself after ``horizon`` of them."""

    def __init__(self, horizon: int = 100, fail_at: int = -1) -> None:
        self.months = 0
        self.horizon = horizon
        self.fail_at = fail_at
        self.running = True

    def step(self) -> None:
        if self.months == self.fail_at:
            raise ValueError("no clearing price")
        self.months += 1
        self.running = self.months < self.horizon


def waits(*actions):
    """A play loop's wait: the ``i``-th call runs ``actions[i]`` (if any), never gives up."""
    calls = iter(actions)

    def wait() -> bool:
        action = next(calls, None)
        if action is not None:
            action()
        return False

    return wait


def test_pause_pressed_while_the_loop_sleeps_stops_before_the_next_month():
    stepper, run = Stepper(), Counter()
    token = stepper.start()
    drawn = []
    # asleep before month 1, 2, 3; Pause pressed during the sleep before month 3
    wait = waits(None, None, stepper.pause)
    months = stepper.play(token, lambda: run, wait, lambda: drawn.append(run.months))
    assert (months, run.months, drawn) == (2, 2, [1, 2])
    assert not stepper.playing


def test_reset_pressed_while_the_loop_sleeps_leaves_the_new_run_at_month_zero():
    stepper = Stepper()
    runs = [Counter()]
    token = stepper.start()
    wait = waits(None, lambda: stepper.reset(lambda: runs.append(Counter())))
    stepper.play(token, lambda: runs[-1], wait, lambda: None)
    assert [r.months for r in runs] == [1, 0]  # the old run got one month, the new one none
    assert stepper.step(runs[-1]) and runs[-1].months == 1  # and Step works on it


def test_a_newer_play_retires_the_older_loop():
    stepper, run = Stepper(), Counter()
    old = stepper.start()
    new = stepper.start()  # Pause then Play again before the old loop woke up
    assert stepper.play(old, lambda: run, waits(), lambda: None) == 0
    assert stepper.playing and run.months == 0
    assert stepper.play(new, lambda: run, waits(None, None, stepper.pause), lambda: None) == 2


def test_play_stops_with_the_run_at_its_horizon_and_step_does_nothing_then():
    stepper, run = Stepper(), Counter(horizon=3)
    drawn = []
    months = stepper.play(stepper.start(), lambda: run, waits(), lambda: drawn.append(1))
    assert (months, run.months, len(drawn)) == (3, 3, 3)
    assert not stepper.playing
    assert not stepper.step(run) and run.months == 3


def test_step_is_refused_while_playing():
    stepper, run = Stepper(), Counter()
    stepper.start()
    assert not stepper.step(run) and run.months == 0
    stepper.pause()
    assert stepper.step(run) and run.months == 1


def test_a_wait_that_gives_up_ends_the_loop_without_a_month():
    stepper, run = Stepper(), Counter()
    assert stepper.play(stepper.start(), lambda: run, lambda: True, lambda: None) == 0
    assert run.months == 0


def test_a_failing_month_ends_the_play_and_is_raised():
    stepper, run = Stepper(), Counter(fail_at=2)
    with pytest.raises(ValueError, match="no clearing price"):
        stepper.play(stepper.start(), lambda: run, waits(), lambda: None)
    assert run.months == 2 and not stepper.playing


def test_pause_waits_for_the_month_in_flight_and_none_follows():
    """On real threads: Pause pressed mid-month returns only when that month is done."""
    stepper = Stepper()
    inside, release = threading.Event(), threading.Event()

    class Slow(Counter):
        def step(self) -> None:
            inside.set()
            release.wait(5)
            super().step()

    slow = Slow()
    token = stepper.start()
    loop = threading.Thread(target=stepper.play, args=(token, lambda: slow, waits(), lambda: None))
    loop.start()
    assert inside.wait(5)
    pause = threading.Thread(target=stepper.pause)
    pause.start()
    pause.join(0.2)
    assert pause.is_alive()  # blocked behind the month being computed
    release.set()
    pause.join(5)
    loop.join(5)
    assert not pause.is_alive() and not loop.is_alive()
    assert slow.months == 1  # the month in flight, and none after it


def _buttons(run: StandInRun, **params):
    model = solara.reactive(run)
    params = solara.reactive({"scenario_name": "baseline", "seed": 7, **params})
    _, rc = solara.render(RunButtons(model, params, solara.reactive(150)), handle_error=False)
    return model, rc


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label])


def test_buttons_step_and_reset_build_the_pending_run():
    model, rc = _buttons(StandInRun(scenario_name="baseline", seed=7), seed=11)
    _button(rc, "Step").widget.click()
    _button(rc, "Step").widget.click()
    assert model.value.month == 2 and model.value.seed == 7
    _button(rc, "Reset").widget.click()
    assert model.value.month == 0 and model.value.seed == 11
    assert not rc.find(v.Alert).widgets


def test_a_reset_that_cannot_build_keeps_the_run_and_says_why():
    model, rc = _buttons(StandInRun(scenario_name="baseline", seed=7), seed=-1)
    first = model.value
    _button(rc, "Step").widget.click()
    _button(rc, "Reset").widget.click()
    assert model.value is first and first.month == 1
    text = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "Reset failed" in text and "seed=-1" in text


def test_buttons_follow_the_run_stopping_at_its_horizon():
    run = StandInRun(scenario_name="baseline", seed=7)
    model, rc = _buttons(run)
    while run.running:
        _button(rc, "Step").widget.click()
    assert run.month == run.horizon
    assert _button(rc, "Step").widget.disabled and _button(rc, "▶").widget.disabled
    _button(rc, "Reset").widget.click()
    assert model.value.month == 0 and not _button(rc, "Step").widget.disabled


def _wait_for_month(model, month: int) -> None:
    """Wait (at most 10 s) until the run on ``model`` has reached ``month``."""
    deadline = time.monotonic() + 10.0
    while model.value.month < month and time.monotonic() < deadline:
        time.sleep(0.01)
    assert model.value.month >= month


def test_play_runs_in_its_thread_and_pause_and_reset_stop_it_at_once():
    model, rc = _buttons(StandInRun(scenario_name="baseline", seed=7))
    _button(rc, "▶").widget.click()
    _wait_for_month(model, 3)
    assert _button(rc, "Step").widget.disabled
    _button(rc, "❚❚").widget.click()
    paused_at = model.value.month
    time.sleep(0.5)  # several play intervals (150 ms): no month lands after Pause
    assert model.value.month == paused_at
    assert not _button(rc, "Step").widget.disabled
    _button(rc, "▶").widget.click()
    _wait_for_month(model, paused_at + 2)
    _button(rc, "Reset").widget.click()
    time.sleep(0.5)
    assert model.value.month == 0
    _button(rc, "▶").assert_single()


class _FailingRun(StandInRun):
    """A stand-in run whose months cannot be computed."""

    def step(self) -> None:
        raise ValueError("no clearing price")


def test_a_month_that_fails_is_shown_and_the_run_kept():
    model, rc = _buttons(_FailingRun(scenario_name="baseline", seed=7))
    first = model.value
    _button(rc, "Step").widget.click()
    assert model.value is first and first.month == 0
    text = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "The month could not be computed: no clearing price" in text
