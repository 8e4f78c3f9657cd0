"""The window over real services: import, ask, cite, context, retry, settings."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from voiceassist_desktop.gui.format import get

pytestmark = pytest.mark.gui

ANSWER_TIMEOUT = 180_000


def drop(window, paths) -> None:
    """Drops files on the window the way a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(200, 200),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert event.isAccepted()


def ask(qtbot, window, question: str):
    chat = window.chat
    chat.question.setPlainText(question)
    with qtbot.waitSignal(chat.answered, timeout=ANSWER_TIMEOUT) as blocker:
        qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_dropping_files_imports_them_with_progress(
    qtbot, gui_app, make_window, tmp_path, samples
):
    window = make_window(gui_app)
    seen: list[dict] = []
    window.bridge.received.connect(
        lambda topic, data: seen.append(data) if topic == "job.progress" else None
    )
    target = tmp_path / samples["hiv"].name
    shutil.copy(samples["hiv"], target)

    drop(window, [target])

    library = window.library_view
    assert window.pages.currentWidget() is library
    qtbot.waitUntil(lambda: len(library.job_rows) == 1, timeout=60_000)
    row = next(iter(library.job_rows.values()))
    with qtbot.waitSignal(library.summarised, timeout=ANSWER_TIMEOUT):
        pass
    assert row.state == "completed"
    assert row.bar.value() == row.bar.maximum() == 1
    assert "ready" in row.step.text()
    assert library.last_summary == "1 imported"
    steps = {data["state"] for data in seen if data["file_name"] == target.name}
    assert {"running", "completed"} <= steps
    assert any(data.get("total_chunks") for data in seen)
    qtbot.waitUntil(
        lambda: any(get(doc, "file_name") == target.name for doc in library.model.rows),
        timeout=10_000,
    )
    assert library.overall.value() == library.overall.maximum()


def test_answer_shows_citations_and_opens_the_cited_page(qtbot, gui_app, make_window):
    window = make_window(gui_app)

    result = ask(
        qtbot, window, "When should hand hygiene be performed in outpatient care?"
    )

    citations = result.assistant_message.citations
    assert citations, result.assistant_message.content
    html = window.chat.view.toHtml()
    assert f"cite:{result.assistant_message.id}:" in html
    assert len(window.sources.cards) == len(citations)
    pdf_citation = next(c for c in citations if c.get("page_number"))

    number = pdf_citation.get("marker") or citations.index(pdf_citation) + 1
    window.chat.view.anchorClicked.emit(
        QUrl(f"cite:{result.assistant_message.id}:{number}")
    )
    viewer = window.viewers[-1]
    with qtbot.waitSignal(viewer.shown_page, timeout=60_000) as shown:
        pass
    assert shown.args == [pdf_citation["page_number"]]
    assert viewer.page_number == pdf_citation["page_number"]
    assert viewer.highlighted, "the cited passage should be highlighted"
    assert viewer.page_view.pixmap().width() > 500

    card = window.sources.cards[0]
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert window.viewers[-1].citation["chunk_id"] == citations[0]["chunk_id"]
    with qtbot.waitSignal(window.viewers[-1].shown_page, timeout=60_000):
        pass

    copied = window.chat.copy_selected_answer()
    assert QGuiApplication.clipboard().text() == copied
    assert "References" in copied and "[1]" in copied


def test_text_source_opens_at_the_passage(qtbot, gui_app, make_window):
    window = make_window(gui_app)

    result = ask(qtbot, window, "measles vaccine second dose school entry")

    citation = next(
        c for c in result.assistant_message.citations if not c.get("page_number")
    )
    viewer = window.open_citation(citation)
    with qtbot.waitSignal(viewer.shown_page, timeout=60_000):
        pass
    assert viewer.stack.currentWidget() is viewer.text_view
    assert viewer.highlighted
    cursor = viewer.text_view.textCursor()
    assert cursor.position() > 0


def test_clinical_context_is_saved_and_used(qtbot, gui_app, make_window):
    window = make_window(gui_app)
    window.new_conversation()
    form = window.context_form
    form.fields["patient_age"].setText("78")
    form.sex.setCurrentText("female")
    form.fields["weight_kg"].setText("62")
    form.fields["creatinine_mg_dl"].setText("1.4")
    form.allergies.setText("penicillin")

    form.fields["height_cm"].setText("900")
    assert not form.save()
    assert "Height" in form.error.text()
    form.fields["height_cm"].setText("160")
    with qtbot.waitSignal(window.context_saved, timeout=30_000):
        assert form.save()

    session_id = window.chat.session_id
    stored = gui_app.conversations.context(session_id)
    assert stored["patient_age"] == 78
    assert stored["weight_kg"] == 62.0
    assert stored["lab_values"]["serum_creatinine_mg_dl"] == 1.4
    assert stored["allergies"] == ["penicillin"]

    result = ask(qtbot, window, "measles vaccination of adults")

    assert result.session.id == session_id
    assert "Considering: age 78" in result.assistant_message.content
    assert "creatinine 1.4 mg/dL" in window.chat.view.toPlainText()

    window.calculator.select("cockcroft_gault")
    qtbot.waitUntil(
        lambda: window.calculator.editors["age_years"].text() == "78", timeout=10_000
    )
    assert window.calculator.editors["weight_kg"].text() == "62"
    with qtbot.waitSignal(window.calculator.calculated, timeout=60_000) as calculated:
        qtbot.mouseClick(window.calculator.run_button, Qt.MouseButton.LeftButton)
    call = calculated.args[2]
    assert call.session_id == session_id
    assert "From this conversation's clinical context" in calculated.args[0]
    qtbot.waitUntil(
        lambda: "Calculate: Cockcroft-Gault" in window.chat.view.toPlainText(),
        timeout=30_000,
    )


def test_failed_import_shows_its_reason_and_retry_works(
    qtbot, gui_app, make_window, tmp_path, samples, cut_pdf
):
    window = make_window(gui_app)
    library = window.library_view
    broken = tmp_path / "discharge_letter.pdf"
    broken.write_text("This is a plain text note, not a PDF.\n" * 20)

    drop(window, [broken])

    with qtbot.waitSignal(library.summarised, timeout=ANSWER_TIMEOUT):
        pass
    assert "1 failed: discharge_letter.pdf:" in library.last_summary
    row = next(r for r in library.job_rows.values() if r.state == "failed")
    assert row.error.isVisibleTo(window) and row.error.text().startswith("Failed: ")
    assert row.retry_button.isVisibleTo(window)

    cut_pdf(samples["outpatient"], broken, 12, 12)
    with qtbot.waitSignal(library.summarised, timeout=ANSWER_TIMEOUT):
        qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)

    assert library.last_summary.startswith("1 "), library.last_summary
    assert "failed" not in library.last_summary
    states = [r.state for r in library.job_rows.values()]
    assert states == ["completed"]
    retried = next(iter(library.job_rows.values()))
    assert not retried.retry_button.isVisibleTo(window)
    assert not retried.error.isVisibleTo(window)


def test_settings_persist_across_a_restart(qtbot, gui_app, make_window, tmp_path):
    settings_file = tmp_path / "window.ini"
    window = make_window(gui_app, settings_file, start=False)
    dialog = window.show_settings()
    assert dialog.set_value("display", "font_size", 14)
    assert not dialog.set_value("display", "font_size", 99)
    assert dialog.set_value("system.security", "idle_lock_minutes", 5)
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save_now()
    qtbot.waitUntil(lambda: window.idle.minutes == 5, timeout=10_000)
    assert QGuiApplication.font().pointSize() == 14
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400)
    window.splitter.setSizes([200, 800, 380])
    sizes = window.splitter.sizes()
    window.show_page(1)
    dialog.close()
    window.shutdown()
    window.close()

    again = make_window(gui_app, settings_file, start=False)

    assert gui_app.user_settings().display.font_size == 14
    assert gui_app.system_settings().security.idle_lock_minutes == 5
    qtbot.waitUntil(lambda: again.width() == 1400)
    assert again.pages.currentIndex() == 1
    again.show_page(0)
    qtbot.waitUntil(lambda: again.splitter.sizes() == sizes, timeout=2000)
    reopened = again.show_settings()
    assert reopened.forms["display"].editors["font_size"].value() == 14
    reopened.close()


def test_audit_log_viewer_filters(qtbot, gui_app, make_window):
    window = make_window(gui_app, start=False)
    dialog = window.show_audit_log()
    qtbot.waitUntil(lambda: dialog.row_count > 0, timeout=10_000)
    everything = dialog.row_count
    dialog.action.setCurrentText("app.start")
    qtbot.waitUntil(lambda: 0 < dialog.row_count < everything, timeout=10_000)
    actions = {dialog.model.item(r, 2).text() for r in range(dialog.row_count)}
    assert actions == {"app.start"}
    dialog.close()


def test_drop_of_nothing_local_is_ignored(qtbot, gui_app, make_window):
    window = make_window(gui_app, start=False)
    mime = QMimeData()
    mime.setText("just text")
    event = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert not event.isAccepted()
    assert window.library_view.job_rows == {}


def test_spoken_question_waits_a_moment_then_goes_with_its_recording(
    qtbot, gui_app, make_window, tmp_path
):
    window = make_window(gui_app)
    window.new_conversation()
    # No microphone here: the transcript arrives as the recogniser hands it over.
    url = (tmp_path / "question.wav").as_uri()

    window._on_voice_transcribed("measles outbreak in a school", url)
    assert window.chat.countdown_active
    assert window.chat.question.toPlainText() == "measles outbreak in a school"
    assert window.chat.cancel_countdown()
    assert not window.chat.countdown_active

    with qtbot.waitSignal(window.chat.answered, timeout=ANSWER_TIMEOUT) as blocker:
        window._on_voice_transcribed("measles outbreak in a school", url)
    result = blocker.args[0]
    assert result.user_message.audio_url == url
    assert result.session.mode == "voice"


def test_push_to_talk_is_off_with_its_reason(qtbot, gui_app, make_window):
    window = make_window(gui_app)
    settings = gui_app.user_settings()
    settings.voice.enabled = False
    try:
        gui_app.update_user_settings(settings)
        qtbot.waitUntil(
            lambda: "turned off" in window.chat.talk_button.toolTip(), timeout=30_000
        )
        assert not window.chat.talk_button.isEnabled()
    finally:
        settings.voice.enabled = True
        gui_app.update_user_settings(settings)


def test_conversations_are_renamed_archived_and_deleted(qtbot, gui_app, make_window):
    window = make_window(gui_app, start=False)
    listing = window.conversations
    created = gui_app.conversations.create(mode="voice", title="Chest pain triage")

    def titles() -> list[str]:
        return [listing.list.item(r).text() for r in range(listing.list.count())]

    listing.refresh()
    qtbot.waitUntil(lambda: "Chest pain triage" in titles(), timeout=10_000)
    assert "Today" in titles()

    listing.rename(created.id, "Chest pain: HEART score")
    qtbot.waitUntil(lambda: "Chest pain: HEART score" in titles(), timeout=10_000)

    listing.search_box.setText("HEART score")
    qtbot.waitUntil(
        lambda: (
            "Chest pain: HEART score" in titles()
            and not any("hygiene" in title for title in titles())
        ),
        timeout=10_000,
    )
    listing.search_box.clear()

    listing.archive(created.id)
    qtbot.waitUntil(lambda: "Chest pain: HEART score" not in titles(), timeout=10_000)
    listing.archived_button.setChecked(True)
    qtbot.waitUntil(
        lambda: "Chest pain: HEART score  (archived)" in titles(), timeout=10_000
    )

    with qtbot.waitSignal(listing.deleted, timeout=10_000):
        listing.delete(created.id, confirm=False)
    qtbot.waitUntil(
        lambda: not any("HEART" in title for title in titles()), timeout=10_000
    )
