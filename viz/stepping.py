"""Step, Play/Pause and Reset of the run on screen, with no month after a Pause or a Reset.

Mesa 3.5's ``ModelController`` plays a run in a thread that sleeps for the play interval and
then steps the model it finds; a Pause or a Reset pressed during that sleep does not stop the
step already decided on, so a Pause often lands one month later than pressed and a Reset during
Play can show the new run at month 1 instead of 0. :class:`Stepper` closes that gap with one
lock: the play thread takes it for each month and checks, under it, that the run is still
playing (and is still the play that started it), and Pause and Reset take it too. When either
returns, no month is being computed and none will start. :func:`RunButtons` draws the three
buttons Mesa's controller draws (same labels) over a ``Stepper``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import solara
from mesa.visualization.utils import force_update, update_counter

__all__ = ["RunButtons", "Steppable", "Stepper"]

_log = logging.getLogger(__name__)


class Steppable(Protocol):
    """What the buttons step: a Mesa model (or :class:`viz.session.VizRun`)."""

    @property
    def running(self) -> bool:
        """False once the run stopped (its horizon, or the model stopped itself)."""

    def step(self) -> None:
        """Advance the run by one month."""


class Stepper:
    """Who may step a run, and when: a Step, or the months of one Play until Pause or Reset.

    Each Play gets a new token (:meth:`start`); :meth:`pause` and :meth:`reset` retire it.
    :meth:`play` steps only while its token is current and the run is playing, checked under
    the same lock Pause and Reset take, so a month is never computed after either returned.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token = 0
        self._playing = False

    @property
    def playing(self) -> bool:
        """Whether a Play is on (its thread may be between two months)."""
        return self._playing

    def start(self) -> int:
        """Play from now on; returns the token :meth:`play` is called with."""
        with self._lock:
            self._token += 1
            self._playing = True
            return self._token

    def pause(self) -> None:
        """Stop playing; returns once the month being computed (if any) is done, and no
        other month starts."""
        self._playing = False  # seen by the loop even if it wins the lock first
        with self._lock:
            self._token += 1
            self._playing = False

    def reset(self, rebuild: Callable[[], None]) -> None:
        """Stop playing and call ``rebuild`` (which puts the new run on screen) under the
        lock, so no month of the old run can land after it."""
        self._playing = False
        with self._lock:
            self._token += 1
            self._playing = False
            rebuild()

    def step(self, run: Steppable) -> bool:
        """One month of ``run`` (the Step button); nothing while playing or once it stopped.
        Returns whether it stepped."""
        with self._lock:
            if self._playing or not run.running:
                return False
            run.step()
            return True

    def play(
        self,
        token: int,
        current: Callable[[], Steppable],
        wait: Callable[[], bool],
        after_step: Callable[[], None],
    ) -> int:
        """The months of one Play: ``wait()`` (True means give up), then one month of
        ``current()``, then ``after_step()`` (redraw), until Pause, Reset, a newer Play or the
        run stops by itself. Returns the months it stepped; an error in a month ends the play
        and is raised."""
        months = 0
        while not wait():
            with self._lock:
                if not self._playing or self._token != token:
                    return months
                run = current()
                stepped = run.running
                if stepped:
                    try:
                        run.step()
                    except BaseException:
                        self._playing = False
                        raise
                    months += 1
                if not run.running:
                    self._playing = False
                stopped = not self._playing
            if stepped:
                after_step()
            if stopped:
                return months
        return months


@solara.component
def RunButtons(
    model: solara.Reactive[Any],
    params: solara.Reactive[dict[str, Any]],
    play_interval: solara.Reactive[int],
):
    """Reset, Play/Pause (▶ / ❚❚) and Step over ``model``; Reset builds
    ``type(model.value)(**params.value)``. An error building or stepping a run is shown under
    the buttons (and logged); the run on screen stays."""
    update_counter.get()  # redrawn after every month (the buttons follow ``run.running``)
    stepper = solara.use_memo(Stepper, [])
    token = solara.use_reactive(0)  # the Play on, 0 when none
    error = solara.use_reactive("")
    playing = token.value
    run = model.value

    def month_failed(exc: Exception) -> None:
        _log.exception("a month of the run failed")
        error.set(f"The month could not be computed: {exc}")

    def months(cancel: threading.Event) -> None:
        if not playing:
            return
        try:
            stepper.play(
                playing,
                lambda: model.value,
                lambda: cancel.wait(play_interval.value / 1000),
                force_update,
            )
        except Exception as exc:  # a month that fails stops the play and is shown
            month_failed(exc)
        if not stepper.playing and token.value == playing:
            token.set(0)  # the run stopped (or failed) by itself

    solara.use_thread(months, dependencies=[playing], intrusive_cancel=False)

    def reset() -> None:
        def rebuild() -> None:
            model.set(type(model.value)(**params.value))

        try:
            stepper.reset(rebuild)
        except (ValueError, OSError) as exc:  # a bad setting or an unreadable file
            error.set(f"Reset failed, the run on screen is kept: {exc}")
        else:
            error.set("")
        token.set(0)
        force_update()

    def play_pause() -> None:
        if playing:
            stepper.pause()
            token.set(0)
            force_update()  # the month on screen is final when ▶ shows again
        else:
            error.set("")
            token.set(stepper.start())

    def step() -> None:
        try:
            if stepper.step(model.value):
                force_update()
        except Exception as exc:
            month_failed(exc)

    with solara.Column(gap="4px") as main:
        with solara.Row(justify="space-between"):
            solara.Button(label="Reset", color="primary", on_click=reset)
            solara.Button(
                label="❚❚" if playing else "▶",
                color="primary",
                on_click=play_pause,
                disabled=not run.running,
            )
            solara.Button(
                label="Step",
                color="primary",
                on_click=step,
                disabled=bool(playing) or not run.running,
            )
        if error.value:
            solara.Error(error.value, dense=True)
    return main
