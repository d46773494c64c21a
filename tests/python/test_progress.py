"""The progress line of the long steps: on a terminal only, with an estimate of the time left."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from customer_tiering.generate import GeneratorParams, generate
from customer_tiering.nightly import NODE_FINISHED
from customer_tiering.progress import CLEAR_LINE, OVERRIDE_VARIABLE, Progress, duration


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    monkeypatch.setenv("TERM", "xterm")


def test_the_line_shows_the_share_done_and_the_time_left() -> None:
    clock, stream = Clock(), Terminal()
    progress = Progress("bench", 400, stream, clock)
    clock.now += 30
    progress.update(100, "1,000,000 transactions: dbt build")
    # A quarter done in 30 s: 90 s left.
    assert stream.getvalue() == (
        CLEAR_LINE + "bench [######..................]  25% in 30s, about 1m30s left"
        "  1,000,000 transactions: dbt build"
    )
    progress.close()
    assert stream.getvalue().endswith(CLEAR_LINE)


def test_redraws_are_limited_and_lines_written_above_keep_it_at_the_bottom() -> None:
    clock, stream, out = Clock(), Terminal(), io.StringIO()
    progress = Progress("nightly: dbt build", 10, stream, clock, interval=1.0)
    progress.advance()
    progress.advance()  # within the interval: not drawn again
    assert stream.getvalue().count(CLEAR_LINE) == 1
    progress.write_above("2 of 10 OK created sql table model marts.x\n", out)
    assert out.getvalue() == "2 of 10 OK created sql table model marts.x\n"
    assert stream.getvalue().endswith(CLEAR_LINE + progress.line())
    assert "20%" in progress.line()


def test_nothing_is_written_to_a_log(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    with Progress("bench", 10, log) as progress:
        progress.advance(5)
        progress.write_above("a line of the log\n")
    assert log.getvalue() == "a line of the log\n"
    monkeypatch.setenv(OVERRIDE_VARIABLE, "always")
    assert Progress("bench", 10, io.StringIO()).enabled
    monkeypatch.setenv(OVERRIDE_VARIABLE, "never")
    assert not Progress("bench", 10, Terminal()).enabled


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0s"), (59.6, "1m00s"), (185, "3m05s"), (3720, "1h02m")]
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_nightly_run_reads_dbt_node_results() -> None:
    done = NODE_FINISHED.search(
        "21:50:46  12 of 240 OK created sql table model marts.customer_tiers ..... [OK in 1.2s]"
    )
    assert done is not None
    assert (done["total"], done["status"], done["what"].split()[-1]) == (
        "240",
        "OK",
        "marts.customer_tiers",
    )
    started = "21:50:46  1 of 240 START sql view model staging.x ... [RUN]"
    assert NODE_FINISHED.search(started) is None


def test_the_generator_is_quiet_in_a_log_and_shows_progress_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    params = GeneratorParams(customers=200, transactions=1_000, seed=7)
    generate(tmp_path / "log", params)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(OVERRIDE_VARIABLE, "always")
    generate(tmp_path / "terminal", params)
    shown = capsys.readouterr().err
    assert "generating [########################] 100%" in shown
    assert shown.endswith(CLEAR_LINE)
