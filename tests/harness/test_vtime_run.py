"""frozen_run: freezegun starts once for many virtual times, each still on its own clock."""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

import freezegun

from harness.runtime.vtime import DEFAULT_START, VirtualTime, frozen_run


def test_one_freezegun_start_for_many_virtual_times() -> None:
    original = freezegun.api._freeze_time.start
    starts: list[object] = []

    def counting(self: object) -> object:
        starts.append(self)
        return original(self)  # type: ignore[arg-type]

    later = DEFAULT_START + dt.timedelta(days=3)
    with mock.patch.object(freezegun.api._freeze_time, "start", counting), frozen_run():
        for begin in (DEFAULT_START, later, DEFAULT_START):
            vtime = VirtualTime(start=begin)
            with vtime:
                assert dt.datetime.now(dt.UTC) == begin
                time.sleep(30)  # virtual
                assert vtime.now() == begin + dt.timedelta(seconds=30)
                assert dt.datetime.now(dt.UTC) == begin + dt.timedelta(seconds=30)
            assert not vtime.active
        with frozen_run(), VirtualTime(start=later):  # nested: nothing more
            assert dt.datetime.now(dt.UTC) == later
    assert len(starts) == 1
    # After the run the process clock is real again.
    assert dt.datetime.now(dt.UTC) > DEFAULT_START + dt.timedelta(days=30)


def test_sleep_is_real_again_between_and_after() -> None:
    real_sleep = time.sleep
    with frozen_run():
        with VirtualTime():
            assert time.sleep is not real_sleep
        assert time.sleep is real_sleep  # each virtual time restores its own patches
    assert time.sleep is real_sleep
