"""Bugs reach the crash report, environment problems a plain message."""

from __future__ import annotations

import threading

import pytest

from voiceassist_desktop.core.errors import EnvironmentProblem
from voiceassist_desktop.gui.errors import ErrorReporter

pytestmark = pytest.mark.gui


@pytest.fixture
def reporter(qapp):
    reporter = ErrorReporter(interactive=False)
    reporter.install()
    yield reporter
    reporter.uninstall()


def test_a_bug_in_a_thread_gets_the_traceback_and_log_lines(qtbot, reporter):
    def broken() -> None:
        raise ZeroDivisionError("division by zero in a worker")

    with qtbot.waitSignal(reporter.shown, timeout=5000) as shown:
        thread = threading.Thread(target=broken, name="worker")
        thread.start()
        thread.join()

    title, text = shown.args
    assert title == "Error"
    assert "ZeroDivisionError: division by zero in a worker" in text
    assert "Recent log lines:" in text


def test_an_environment_problem_is_a_plain_message_with_its_remedy(qtbot, reporter):
    problem = EnvironmentProblem("The disk is full.", "Free some space.")

    with qtbot.waitSignal(reporter.shown, timeout=5000) as shown:
        reporter.excepthook(EnvironmentProblem, problem, None)

    assert shown.args == [
        "VoiceAssist",
        "The disk is full.\n\nWhat to do: Free some space.",
    ]
