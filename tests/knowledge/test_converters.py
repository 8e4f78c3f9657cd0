"""Converters on the real corpus: pages, labels, headings, metadata, failures."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest

from voiceassist_desktop.knowledge import ocr
from voiceassist_desktop.knowledge.converters import convert_file, detect_format
from voiceassist_desktop.knowledge.converters import pdf as pdf_converter
from voiceassist_desktop.knowledge.converters.common import (
    detect_plain_headings,
    find_doi,
    find_isbn,
    garbled,
)
from voiceassist_desktop.knowledge.document import ConvertedDocument
from voiceassist_desktop.knowledge.errors import ConversionError

FORMATS = ("pdf", "docx", "txt", "html", "htm")


def _corpus_docs(corpus_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in (corpus_dir / "docs").rglob("*")
        if path.suffix.lstrip(".").lower() in FORMATS
    )


def _convert(path: Path) -> ConvertedDocument:
    # The scanned copy is read by OCR in its own test; elsewhere OCR stays off
    # so the module converts in seconds.
    if path.suffix == ".pdf":
        return pdf_converter.convert(path, use_ocr=False)
    return convert_file(path)


@pytest.fixture(scope="module")
def converted(corpus_dir) -> dict[str, ConvertedDocument | ConversionError]:
    """Every corpus document converted once for the whole module."""
    results: dict[str, ConvertedDocument | ConversionError] = {}
    for path in _corpus_docs(corpus_dir):
        try:
            results[path.name] = _convert(path)
        except ConversionError as error:
            results[path.name] = error
    return results


def _doc(converted, name: str) -> ConvertedDocument:
    result = converted[name]
    assert isinstance(result, ConvertedDocument), result
    return result


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.corpus
def test_every_corpus_document_converts(converted):
    assert len(converted) >= 25
    failures = {
        name: result.reason
        for name, result in converted.items()
        if isinstance(result, ConversionError)
    }
    # The scanned copy has no text layer; without OCR it must fail plainly.
    assert failures == {
        "cdc_outpatient_guide_scanned_p1-8.pdf": pdf_converter.NO_TEXT,
    }
    for name, result in converted.items():
        if isinstance(result, ConvertedDocument):
            assert result.has_text(), name
            assert sum(len(page.text) for page in result.pages) > 1000, name


@pytest.mark.corpus
def test_pdf_pages_are_numbered_from_one(converted):
    for name, result in converted.items():
        if isinstance(result, ConvertedDocument) and result.format == "pdf":
            numbers = [page.number for page in result.pages]
            assert numbers == list(range(1, len(numbers) + 1)), name
    assert len(_doc(converted, "cdc_mmwr_56_reports_rendered_280pp.pdf").pages) == 280


@pytest.mark.corpus
def test_printed_page_labels(converted):
    journal = _doc(
        converted, "intpsychogeriatr_2014_stressful_life_events_dementia.pdf"
    )
    assert [page.label for page in journal.pages] == [str(n) for n in range(147, 155)]

    booklet = _doc(converted, "niddk_eating_and_diabetes_2007.pdf")
    labels = [page.label for page in booklet.pages]
    assert labels[:7] == ["i", "ii", "iii", "iv", "v", "vi", "1"]

    # A PDF without page labels gets none rather than invented ones.
    label = _doc(converted, "fda_label_eliquis_apixaban.pdf")
    assert all(page.label is None for page in label.pages)


@pytest.mark.corpus
def test_pdf_outline_gives_chapters_and_headings(converted):
    rinvoq = _doc(converted, "fda_label_rinvoq_upadacitinib.pdf")
    by_title = {heading.title: heading for heading in rinvoq.headings}
    chapter = by_title["1 INDICATIONS AND USAGE"]
    sub = by_title["1.1 Rheumatoid Arthritis"]
    assert (chapter.level, sub.level) == (1, 2)
    assert chapter.page_index == sub.page_index == 4
    page_text = rinvoq.pages[sub.page_index].text
    assert page_text[sub.char_start :].startswith("1.1")

    sections = [s for s in rinvoq.iter_sections() if s.heading == sub.title]
    assert sections and sections[0].chapter == chapter.title
    assert "rheumatoid arthritis" in sections[0].text.lower()
    assert sections[0].page_number == 5


@pytest.mark.corpus
def test_fda_label_without_outline_gets_section_headings(converted):
    eliquis = _doc(converted, "fda_label_eliquis_apixaban.pdf")
    titles = [_squash(heading.title) for heading in eliquis.headings]
    assert any(title.startswith("5.2 Bleeding") for title in titles)

    # Numbered sections that follow a paragraph with no blank line between
    # them, as PDF text has it, are headings too, at the page they start on.
    by_title = {heading.title: heading for heading in eliquis.headings}
    for title, page in (
        ("8 USE IN SPECIFIC POPULATIONS", 17),
        ("8.6 Renal Impairment", 19),
        ("12 CLINICAL PHARMACOLOGY", 21),
        ("12.3 Pharmacokinetics", 22),
    ):
        assert title in by_title, titles
        assert by_title[title].page_index + 1 == page
    renal = [s for s in eliquis.iter_sections() if s.heading == "8.6 Renal Impairment"]
    assert {s.chapter for s in renal} == {"8 USE IN SPECIFIC POPULATIONS"}
    assert "ESRD on dialysis" in " ".join(" ".join(s.text for s in renal).split())


@pytest.mark.corpus
def test_pdf_metadata(converted):
    clinsci = _doc(converted, "clinsci_2014_ace_ndomain_inhibitor_design.pdf")
    assert clinsci.metadata.doi == "10.1042/CS20130403"
    assert clinsci.metadata.title.startswith("Fragment-based design")

    who = _doc(converted, "who_ipc_core_components_guidelines_2016.pdf")
    assert who.metadata.isbn == "9789241549929"
    assert who.metadata.publication_year == 2016

    trauma = _doc(converted, "bmc_jtmo_2010_dvt_prophylaxis_trauma_review.pdf")
    assert trauma.metadata.title.startswith("Complications related to deep venous")


@pytest.mark.corpus
def test_html_article_without_boilerplate(converted):
    asthma = _doc(converted, "cdc_pcd_2024_24_0005_status_of_asthma_us.htm")
    text = asthma.pages[0].text
    assert asthma.pages[0].number is None
    assert "Asthma prevalence increased significantly among adults" in text
    assert "Skip directly to" not in text
    assert "function(" not in text and "window." not in text

    levels = {heading.title: heading.level for heading in asthma.headings}
    assert levels["Methods"] == 1 and levels["Data sources"] == 2
    methods = next(s for s in asthma.iter_sections() if s.heading == "Data sources")
    assert methods.chapter == "Methods"

    assert asthma.metadata.title == "The Status of Asthma in the United States"
    assert asthma.metadata.doi == "10.5888/pcd21.240005"
    assert asthma.metadata.publication_year == 2024


@pytest.mark.corpus
def test_html_tables_keep_their_text(converted):
    asthma = _doc(converted, "cdc_pcd_2024_24_0005_status_of_asthma_us.htm")
    # Table rows come out as cells joined by " | ".
    assert any(" | " in line for line in asthma.pages[0].text.split("\n"))


@pytest.mark.corpus
def test_compiled_mmwr_html_converts_with_its_headings(converted):
    mmwr = _doc(converted, "cdc_mmwr_56_selected_reports_compiled.html")
    assert len(mmwr.pages[0].text) > 1_000_000
    assert len(mmwr.headings) > 100


@pytest.mark.corpus
def test_txt_inline_headings(converted):
    measles = _doc(converted, "cdc_mmwr_1989_measles_prevention_acip.txt")
    titles = [heading.title for heading in measles.headings]
    assert "INTRODUCTION" in titles
    assert "OUTBREAK CONTROL" in titles
    section = next(s for s in measles.iter_sections() if s.chapter == "INTRODUCTION")
    assert section.text.startswith("INTRODUCTION Measles (rubeola)")


@pytest.mark.corpus
@pytest.mark.slow
def test_scanned_pdf_becomes_searchable_by_ocr(corpus_dir):
    scanned = pdf_converter.convert(
        corpus_dir / "docs/pdf/cdc_outpatient_guide_scanned_p1-8.pdf"
    )
    original = pdf_converter.convert(
        corpus_dir / "docs/pdf/cdc_outpatient_infection_prevention_guide_2016.pdf",
        use_ocr=False,
    )
    assert scanned.quality.ocr_pages == list(range(1, 9))
    assert all(page.ocr for page in scanned.pages)
    assert any("OCR" in warning for warning in scanned.warnings)

    # The recogniser sometimes drops spaces, so words are compared without them.
    ocr_text = re.sub(r"\s+", "", scanned.text).lower()
    for phrase in (
        "guide to infection prevention",
        "outpatient settings",
        "standard precautions",
        "hand hygiene",
        "centers for disease control and prevention",
    ):
        assert phrase.replace(" ", "") in ocr_text, phrase

    # Most longer words of the same pages in the text edition are read.
    words = {
        word.lower()
        for page in original.pages[:8]
        for word in re.findall(r"[A-Za-z]{7,}", page.text)
    }
    found = sum(word in ocr_text for word in words)
    assert found / len(words) > 0.85


QUIRK_OUTCOMES = {
    # name: ("ok", text expected) or ("error", reason expected). OCR is off here,
    # so image-only pages give the "no extractable text" reason.
    "pdf/arabic_rtl.pdf": ("ok", "habibi"),
    "pdf/arabic_rtl_rotated_pages.pdf": ("ok", "habibi"),
    "pdf/cid_font_embedded_cmap.pdf": ("ok", "This text uses an embedded CMap"),
    "pdf/corrupted_zen_of_python.pdf": ("ok", "Beautiful is better than ugly."),
    "pdf/damaged_content_stream.pdf": ("ok", "Potato"),
    "pdf/encrypted_aes256_r6_user_usersecret.pdf": ("error", "encrypted"),
    "pdf/encrypted_rc4_40bit_user_foo.pdf": ("error", "encrypted"),
    # Opens with the empty password; its pages are pictures without text.
    "pdf/encrypted_rc4_empty_user_password_images.pdf": (
        "error",
        "no extractable text",
    ),
    "pdf/encrypted_user_password_openpassword.pdf": ("error", "encrypted"),
    "pdf/enormous_page_size.pdf": ("error", "no extractable text"),
    "pdf/fax_ccitt_image_only.pdf": ("error", "no extractable text"),
    "pdf/gao_report_breaks_pdfminer.pdf": ("ok", "Cybersecurity"),
    "pdf/german_textbook_117_pages_compressed.pdf": ("ok", "Topologische Räume"),
    "pdf/header_then_eof_only.pdf": ("error", "damaged beyond repair"),
    "pdf/huge_35000px_jbig2_image.pdf": ("error", "no extractable text"),
    "pdf/irs_manual_400_pages.pdf": ("ok", "Command Codes BMFOL and BMFOR"),
    "pdf/japanese_cid_simple.pdf": ("ok", "Hello"),
    "pdf/japanese_vertical_jo.pdf": ("ok", "心象スケッチ"),
    "pdf/large_inline_image.pdf": ("error", "no extractable text"),
    "pdf/latex_multicolumn.pdf": ("ok", "consectetuer adipiscing elit"),
    "pdf/malformed_xref_offsets.pdf": ("ok", "Potato"),
    "pdf/not_a_pdf_5_bytes.pdf": ("error", "not a PDF"),
    "pdf/page_without_contents.pdf": ("error", "no extractable text"),
    "pdf/recursive_xobjects.pdf": ("ok", "Hello world"),
    "pdf/rotate_inherited_from_pages_tree.pdf": ("ok", "Potato"),
    "pdf/rotated_page_90.pdf": ("ok", "Rotated page fixture"),
    "pdf/scanned_book_page_image_only.pdf": ("error", "no extractable text"),
    "pdf/scanned_four_rotations.pdf": ("error", "no extractable text"),
    "pdf/scanned_skewed.pdf": ("error", "no extractable text"),
    "pdf/scanned_two_column_brochure.pdf": ("error", "no extractable text"),
    "pdf/text_as_vector_curves_no_fonts.pdf": ("error", "no extractable text"),
    "pdf/truetype_font_no_tounicode.pdf": ("error", "no extractable text"),
    "pdf/type3_font_no_tounicode.pdf": ("error", "no extractable text"),
    "pdf/unreadable_metadata.pdf": ("error", "damaged beyond repair"),
    "pdf/xref_prev_loop_30pages.pdf": ("ok", "Potato"),
    "pdf/zero_pages.pdf": ("error", "has no pages"),
    "docx/empty_body.docx": ("error", "no text"),
    "docx/headers_footers.docx": ("ok", "Main document"),
    "docx/invalid_tag_name.docx": ("ok", "GENERAL INFORMATION"),
    "docx/legacy_word97_binary.doc": (
        "error",
        "legacy Word .doc is not supported; save it as .docx",
    ),
    "docx/main_part_renamed_no_word_document_xml.docx": (
        "ok",
        "This is a link to my website.",
    ),
    "docx/strict_ooxml_docx2python.docx": ("ok", "Cellaa | Cellab"),
    "docx/strict_ooxml_mammoth.docx": ("ok", "Test"),
    "docx/xml_parts_with_utf8_bom.docx": ("ok", "This XML has a byte order mark."),
    "html/cp1252_encoded_no_charset.html": ("ok", "Der Preis betrug 15,50 €."),
    "html/inline_base64_image.html": ("ok", "Test page"),
}


@pytest.mark.corpus
def test_every_quirk_file_has_a_written_outcome(corpus_dir):
    quirks = corpus_dir / "quirks"
    present = {str(path.relative_to(quirks)) for path in quirks.rglob("*.*")}
    assert present == set(QUIRK_OUTCOMES)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(QUIRK_OUTCOMES))
def test_quirk_file(corpus_dir, name):
    expected, detail = QUIRK_OUTCOMES[name]
    path = corpus_dir / "quirks" / name

    try:
        document = _convert(path)
    except ConversionError as error:
        assert expected == "error", f"failed with {error.reason!r}"
        assert detail in error.reason
        return

    assert expected == "ok", f"converted, but should fail with {detail!r}"
    assert detail in document.text
    assert "\ufffd" not in document.text and "\ufffe" not in document.text


@pytest.mark.corpus
def test_quirk_details(corpus_dir):
    quirks = corpus_dir / "quirks"

    headers = convert_file(quirks / "docx/headers_footers.docx")
    assert "First header" not in headers.text

    base64_page = convert_file(quirks / "html/inline_base64_image.html")
    assert "base64" not in base64_page.text and len(base64_page.text) < 100

    irs = _convert(quirks / "pdf/irs_manual_400_pages.pdf")
    assert len(irs.pages) == 400 and len(irs.headings) > 100

    german = _convert(quirks / "pdf/german_textbook_117_pages_compressed.pdf")
    assert len(german.pages) == 117
    assert [page.label for page in german.pages[:4]] == ["i", "ii", "iii", "1"]
    assert german.metadata.authors == ["Martin Thoma"]


@pytest.mark.corpus
def test_garbled_layer_is_replaced_by_ocr(corpus_dir):
    path = corpus_dir / "quirks/pdf/truetype_font_no_tounicode.pdf"
    document = pdf_converter.convert(path)
    assert document.pages[0].text == "Phone"
    assert document.quality.ocr_pages == [1]
    assert document.quality.garbled_pages == []


def test_garbled_detection():
    assert garbled('"7+%-')
    assert garbled("\x19\x12")
    assert garbled("/g437/g258/g3/g437/g258/g90")
    assert not garbled("Apixaban 5 mg twice daily reduces the risk of stroke.")
    assert not garbled("1.2 Metrische Räume . . . . . . . . . . . . . . . 6")
    assert not garbled("みんなのおのおののなかのすべてですから")
    assert not garbled("12.5 | 13.1 | 14.0 | 15.2")


def test_numbered_headings_after_a_sentence():
    text = (
        "therefore, dosing is based on pharmacokinetic data [see Clinical\n"
        "Pharmacology (12.3)].\n"
        "8.7 Hepatic Impairment\n"
        "No dose adjustment is required in patients with mild impairment.\n"
        "2.5 mg twice daily is the dose in patients with two of the following\n"
        "10 OVERDOSAGE\n"
    )
    plain = [h.title for h in detect_plain_headings(text)]
    assert plain == []

    found = detect_plain_headings(text, 4, numbered_after_sentence=True)
    assert [(h.title, h.level, h.page_index) for h in found] == [
        ("8.7 Hepatic Impairment", 2, 4)
    ]
    assert text[found[0].char_start :].startswith("8.7 Hepatic")


def test_identifiers():
    assert find_doi("doi: 10.1155/2010/157939.") == "10.1155/2010/157939"
    assert find_isbn("ISBN 978 92 4 154992 9 (NLM)") == "9789241549929"
    assert find_isbn("ISBN 978 92 4 154992 8") is None


def test_dispatch_by_content(tmp_path, corpus_dir):
    renamed = tmp_path / "report.txt"
    renamed.write_bytes(
        (corpus_dir / "quirks/pdf/damaged_content_stream.pdf").read_bytes()
    )
    assert detect_format(renamed) == "pdf"

    fake_docx = tmp_path / "notes.docx"
    fake_docx.write_text("just text", encoding="utf-8")
    with pytest.raises(ConversionError, match="not a Word .docx"):
        convert_file(fake_docx)

    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(ConversionError, match="empty"):
        convert_file(empty)

    with pytest.raises(ConversionError, match="does not exist"):
        convert_file(tmp_path / "missing.pdf")


def test_txt_encoding_is_detected(tmp_path):
    path = tmp_path / "notes.txt"
    text = "Die Patientin erhielt 2,5 mg; Schmerzen gebessert. Café, señora, 15 €.\n"
    path.write_bytes((text * 20).encode("cp1252"))
    document = convert_file(path)
    assert document.pages[0].text.startswith(text.strip())
    assert document.pages[0].number is None


def test_docx_headings_tables_and_properties(tmp_path):
    path = tmp_path / "protocol.docx"
    word = docx.Document()
    word.core_properties.title = "Anticoagulation protocol"
    word.core_properties.author = "Ward 7"
    word.add_heading("Dosage", level=1)
    word.add_paragraph("Give 5 mg twice daily.")
    word.add_heading("Renal impairment", level=2)
    word.add_paragraph("Reduce the dose to 2.5 mg twice daily.")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Creatinine"
    table.cell(0, 1).text = "Dose"
    table.cell(1, 0).text = ">= 1.5 mg/dL"
    table.cell(1, 1).text = "2.5 mg"
    word.sections[0].header.paragraphs[0].text = "Confidential header"
    word.save(str(path))

    document = convert_file(path)
    assert document.metadata.title == "Anticoagulation protocol"
    assert document.metadata.authors == ["Ward 7"]
    assert [(h.title, h.level) for h in document.headings] == [
        ("Dosage", 1),
        ("Renal impairment", 2),
    ]
    assert ">= 1.5 mg/dL | 2.5 mg" in document.text
    assert "Confidential header" not in document.text

    sections = list(document.iter_sections())
    last = sections[-1]
    assert (last.chapter, last.heading) == ("Dosage", "Renal impairment")
    assert "2.5 mg twice daily" in last.text


@pytest.mark.corpus
def test_pages_too_large_for_ocr_are_skipped_not_rendered(corpus_dir):
    quirks = corpus_dir / "quirks/pdf"
    # The 35000 x 35000 pixel scan is refused before pdfium decodes it.
    with pytest.raises(ConversionError) as raised:
        pdf_converter.convert(quirks / "huge_35000px_jbig2_image.pdf")
    assert raised.value.reason == pdf_converter.TOO_LARGE

    settings = ocr.OcrSettings()
    document = pdfium.PdfDocument(str(quirks / "enormous_page_size.pdf"))
    page = document[0]
    scale = ocr.render_scale(page, settings)
    width, height = page.get_size()
    assert width * height * scale * scale <= settings.max_pixels * 1.001
    assert scale * 72 >= settings.min_dpi
    page.close()
    document.close()


def test_unexpected_library_failure_becomes_a_plain_reason(tmp_path, monkeypatch):
    import voiceassist_desktop.knowledge.converters as converters

    def broken(path):
        raise KeyError("word/document.xml")

    monkeypatch.setattr(converters, "get_converter", lambda kind: broken)
    path = tmp_path / "notes.txt"
    path.write_text("Some text.", encoding="utf-8")
    with pytest.raises(ConversionError, match="could not be read"):
        convert_file(path)
