"""A number keyed in on the phone's keypad (DTMF) while the receptionist waits for one.

Speech recognition over a phone line is weakest on runs of the same digit ("five five five"); the keypad
is not. While the brain is asking for a callback number, digit keys are collected here and handed over as
one caller turn, ``(keyed in) 4155550134``, when the caller presses ``#`` or stops keying for
:data:`IDLE_S` seconds. ``*`` starts again. The brain reads the written digits like a spoken number (and
reads them back for confirmation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from receptionist.brain.phone import MAX_DIGITS

#: the caller turn a keyed-in number becomes
KEYED_IN = "(keyed in) {digits}"
SUBMIT = "#"
CLEAR = "*"
#: keyed digits are handed over after this long without another key
IDLE_S = 4.0


class Keypad:
    """Collects digit keys; calls ``submit(digits)`` on ``#`` or after ``idle_s`` without a key."""

    def __init__(self, submit: Callable[[str], None], *, idle_s: float = IDLE_S) -> None:
        self._submit_to = submit
        self.idle_s = idle_s
        self._digits = ""
        self._timer: asyncio.TimerHandle | None = None

    @property
    def digits(self) -> str:
        """The digits keyed so far (not yet handed over)."""
        return self._digits

    def press(self, key: str) -> None:
        """One key: a digit, ``#`` (done) or ``*`` (start again); anything else is ignored."""
        if key == SUBMIT:
            self.submit()
        elif key == CLEAR:
            self.cancel()
        elif len(key) == 1 and key.isdigit() and len(self._digits) <= MAX_DIGITS:
            self._digits += key
            self._restart_timer()

    def submit(self) -> None:
        """Hand the digits keyed so far over now (nothing happens if there are none)."""
        digits = self._digits
        self.cancel()
        if digits:
            self._submit_to(digits)

    def cancel(self) -> None:
        """Forget the digits keyed so far."""
        self._digits = ""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.idle_s, self.submit)
