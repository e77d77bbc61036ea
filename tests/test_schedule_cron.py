"""`watcher schedule --next`: cron expressions mean what cron means (0 and 7 are Sunday), in UTC."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import shlex
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from watcher.cli import main

# A Friday, so every weekday below comes after it within the week.
FROM = "2026-11-27T12:00"


def next_times(expr: str, count: int = 6, start: str = FROM) -> tuple[int, list[dt.datetime], str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["schedule", "--cron", expr, "--next", str(count), "--from", start])
    times = [dt.datetime.fromisoformat(line) for line in out.getvalue().splitlines()]
    return code, times, err.getvalue()


def weekdays(times: list[dt.datetime]) -> list[str]:
    return [when.strftime("%a") for when in times]


@pytest.mark.parametrize(
    ("expr", "day"),
    [
        ("0 9 * * 0", "Sun"),  # APScheduler's from_crontab would say Monday
        ("0 9 * * 1", "Mon"),  # ... and Tuesday here
        ("0 9 * * 5", "Fri"),
        ("0 9 * * 7", "Sun"),  # 7 is Sunday too
        ("0 9 * * sun", "Sun"),
        ("0 9 * * MON", "Mon"),
        ("0 9 * * fri", "Fri"),
    ],
)
def test_a_single_weekday_fires_on_that_weekday_only(expr: str, day: str) -> None:
    code, times, _ = next_times(expr)
    assert code == 0
    assert len(times) == 6
    assert weekdays(times) == [day] * 6
    assert all(when.hour == 9 and when.minute == 0 and when.second == 0 for when in times)
    # Consecutive weeks, in UTC, and never before --from.
    assert all(b - a == dt.timedelta(days=7) for a, b in itertools.pairwise(times))
    assert all(when.utcoffset() == dt.timedelta(0) for when in times)
    assert times[0] > dt.datetime.fromisoformat(FROM).replace(tzinfo=dt.UTC)


def test_monday_at_nine_lists_the_right_dates() -> None:
    code, times, _ = next_times("0 9 * * 1", 3)
    assert code == 0
    assert [when.isoformat() for when in times] == [
        "2026-11-30T09:00:00+00:00",
        "2026-12-07T09:00:00+00:00",
        "2026-12-14T09:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("expr", "days"),
    [
        ("30 6 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("30 6 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("30 6 * * 0,5", ["Fri", "Sun"]),
        ("30 6 * * 5-7", ["Fri", "Sat", "Sun"]),  # a range ending in 7 ends on Sunday
        ("30 6 * * sat,sun", ["Sat", "Sun"]),
        ("30 6 * * */2", ["Sun", "Tue", "Thu", "Sat"]),  # 0,2,4,6
        ("30 6 * * 1-5/2", ["Mon", "Wed", "Fri"]),
    ],
)
def test_lists_ranges_steps_and_names(expr: str, days: list[str]) -> None:
    code, times, _ = next_times(expr, 14)
    assert code == 0
    assert set(weekdays(times)) == set(days)
    assert all((when.hour, when.minute) == (6, 30) for when in times)


def test_day_of_month_and_weekday_both_restricted_fire_on_either_as_in_cron() -> None:
    code, times, _ = next_times("0 0 13 * 5", 6)
    assert code == 0
    # Fridays, plus the 13th (a Sunday in December 2026): cron ORs the two day fields.
    assert [when.date().isoformat() for when in times] == [
        "2026-12-04",
        "2026-12-11",
        "2026-12-13",
        "2026-12-18",
        "2026-12-25",
        "2027-01-01",
    ]


def test_a_starred_day_of_month_with_a_step_still_ands_as_in_cron() -> None:
    code, times, _ = next_times("0 0 */2 * 1", 4)
    assert code == 0
    assert weekdays(times) == ["Mon"] * 4
    assert all(when.day % 2 == 1 for when in times)  # */2 from 1: odd days only


def test_minute_steps_and_shorthands() -> None:
    code, times, _ = next_times("*/20 * * * *", 4)
    assert code == 0
    assert [when.strftime("%H:%M") for when in times] == ["12:00", "12:20", "12:40", "13:00"]
    code, times, _ = next_times("@weekly", 2)
    assert code == 0
    assert weekdays(times) == ["Sun", "Sun"]
    assert (times[0].hour, times[0].minute) == (0, 0)


def test_without_from_counts_from_now() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["schedule", "--cron", "17 6 * * 3", "--next", "2"])
    assert code == 0
    times = [dt.datetime.fromisoformat(line) for line in out.getvalue().splitlines()]
    assert weekdays(times) == ["Wed", "Wed"]
    assert times[0] > dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("0 9 * *", "has 4 field(s); expected five fields"),
        ("0 9 * * * *", "has 6 field(s)"),
        ("61 * * * *", "minute 61 is out of range 0-59"),
        ("0 24 * * *", "hour 24 is out of range 0-23"),
        ("0 9 * * 8", "day-of-week 8 is out of range 0-7"),
        ("0 9 * * funday", "day-of-week 'funday' is not a number (or a name: sun, mon"),
        ("0 9 * * fri-mon", "range 'fri-mon' runs backwards"),
        ("*/0 * * * *", "step must be at least 1"),
        ("0 9 L * *", "day-of-month 'L' is not a number"),
        ("0 9 ? * *", "is not cron syntax"),
        ("0 0 30 2 *", "never fires"),
        ("@reboot", "unknown shorthand"),
        ("", "has 0 field(s)"),
    ],
)
def test_an_invalid_expression_exits_2_with_one_clear_line(expr: str, says: str) -> None:
    code, times, err = next_times(expr)
    assert code == 2
    assert times == []
    assert err.count("\n") == 1 and err.startswith("watcher: error: --cron ")
    assert says in err
    assert "Traceback" not in err


def test_bad_next_count_and_bad_from_exit_2() -> None:
    code, _, err = next_times("0 9 * * 1", 0)
    assert code == 2 and "--next 0: give a count from 1 to 1000" in err
    code, _, err = next_times("0 9 * * 1", 2, start="next tuesday")
    assert code == 2 and "--from 'next tuesday': expected a date-time" in err


def test_the_readme_example_is_what_it_prints() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```sh\n(watcher schedule [^\n]+)\n((?:# .*\n)+)```", readme)
    assert example, "README lost its `watcher schedule --next` example"
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(shlex.split(example[1])[1:])
    assert code == 0
    assert out.getvalue() == "".join(line[2:] + "\n" for line in example[2].splitlines())
