"""PHI detection: identifiers found, clinical text left alone, redaction."""

from __future__ import annotations

import json

import pytest

from voiceassist_desktop.core.phi import (
    PhiFinding,
    contains_phi,
    detect,
    redact,
    redact_obj,
)

# (text, kind, the identifier as found)
POSITIVES = [
    # names beside patient words or titles
    ("patient John Smith has atrial fibrillation", "NAME", "John Smith"),
    ("Mr. Smith is 78 and on warfarin", "NAME", "Smith"),
    ("Mrs Jones takes apixaban", "NAME", "Jones"),
    ("pt: Jane Doe, CKD stage 3", "NAME", "Jane Doe"),
    ("my patient Maria Garcia, 54, has a DVT", "NAME", "Maria Garcia"),
    ("Patient: Smith, John", "NAME", "Smith, John"),
    ("the patient's name is O'Brien", "NAME", "O'Brien"),
    ("Ms. McDonald-Smith asked about semaglutide", "NAME", "McDonald-Smith"),
    ("Miss Jones, 34, is pregnant", "NAME", "Jones"),
    ("patient named José García with cirrhosis", "NAME", "José García"),
    ("patient June Smith, INR 2.4", "NAME", "June Smith"),
    ("Pt DeLuca, 81, on digoxin", "NAME", "DeLuca"),
    ("Patient John Q. Public, INR 3.1", "NAME", "John Q. Public"),
    # dates of birth and other patient dates
    ("DOB 03/04/1961", "DOB", "03/04/1961"),
    ("D.O.B.: 3.4.61", "DOB", "3.4.61"),
    ("born on 4 March 1961 in Leeds", "DOB", "4 March 1961"),
    ("date of birth: 1961-03-04", "DOB", "1961-03-04"),
    ("birthdate March 4, 1961", "DOB", "March 4, 1961"),
    ("she was born in March 1961", "DOB", "March 1961"),
    ("admitted on 3 March 2024 with sepsis", "DATE", "3 March 2024"),
    ("discharge date: 2024-03-09", "DATE", "2024-03-09"),
    # record numbers
    ("MRN 12345678", "MRN", "12345678"),
    ("MRN: A1234567", "MRN", "A1234567"),
    ("medical record number 00451237", "MRN", "00451237"),
    ("record number 998877", "MRN", "998877"),
    ("hospital no. RX-55231", "MRN", "RX-55231"),
    # phone numbers
    ("call her on (555) 123-4567", "PHONE", "(555) 123-4567"),
    ("phone 555-123-4567", "PHONE", "555-123-4567"),
    ("mobile +44 7700 900123", "PHONE", "+44 7700 900123"),
    ("reach me at +44 20 7946 0958", "PHONE", "+44 20 7946 0958"),
    ("+1 212 555 0100", "PHONE", "+1 212 555 0100"),
    ("tel: 020 7946 0958", "PHONE", "020 7946 0958"),
    ("+33 1 23 45 67 89", "PHONE", "+33 1 23 45 67 89"),
    ("555.123.4567", "PHONE", "555.123.4567"),
    # e-mail
    ("write to jane.doe@example.com please", "EMAIL", "jane.doe@example.com"),
    # street addresses
    ("lives at 123 Main Street", "ADDRESS", "123 Main Street"),
    ("42 Oak Ave, Springfield", "ADDRESS", "42 Oak Ave, Springfield"),
    ("moved to 9 Elm St last year", "ADDRESS", "9 Elm St"),
    ("home: 1600 Pennsylvania Avenue", "ADDRESS", "1600 Pennsylvania Avenue"),
    ("7 W 21st St, New York, NY 10010", "ADDRESS", "7 W 21st St, New York, NY 10010"),
    # national identifiers
    ("SSN 123-45-6789", "SSN", "123-45-6789"),
    ("social security number 123 45 6789", "SSN", "123 45 6789"),
    ("NHS number 943 476 5919", "ID", "943 476 5919"),
    ("NHS no 9434765919", "ID", "9434765919"),
    ("passport number X12345678", "ID", "X12345678"),
    ("Medicare number 1EG4-TE5-MK73", "ID", "1EG4-TE5-MK73"),
]

NEGATIVES = [
    "Heart Failure, born in 1950 cohorts had higher mortality",
    "Eliquis Tablets, MRN policy of the hospital",
    "apixaban 5 mg twice daily",
    "Reduce the dose to 2.5 mg twice daily if 2 of: age ≥ 80, weight ≤ 60 kg, "
    "creatinine ≥ 1.5 mg/dL",
    "published in 2019",
    "What does the 2020 ESC guideline say about CHA2DS2-VASc 1 in men?",
    "Parkinson disease and the Wells score",
    "Cockcroft-Gault versus CKD-EPI in Crohn's disease and Addison disease",
    "Is Hashimoto thyroiditis linked to Graves disease?",
    "see pages 343-351 of chapter 12",
    "doi:10.1056/NEJMoa2102953",
    "https://doi.org/10.1542/peds.2010-0852 PMID:21041282",
    "a 78 year old woman with eGFR 45 mL/min/1.73 m2",
    "78-year-old man, weight 92 kg, height 175 cm, creatinine 1.4 mg/dL",
    "Patient Counseling Information",
    "Advise the patient to read the FDA-approved patient labeling (Medication Guide).",
    "Table 2: Patient Characteristics at Baseline",
    "Patient Weight RINVOQ LQ RINVOQ",
    "Patient Educ Couns 6: 239-245",
    "Dr. Lip and Dr. Pisters described HAS-BLED in Chest 2010;138:1093-1100.",
    "Inker LA, Eneanya ND, Coresh J. N Engl J Med 2021;385:1737-1749.",
    "PT 14 seconds, INR 1.2, aPTT 32",
    "Patients with Parkinson disease often fall.",
    "patient with Crohn's disease seen in clinic",
    "Sodium 138 mmol/L, potassium 4.1, chloride 100, bicarbonate 24",
    "Wells score +1.5 for heart rate, total 4.5 points",
    "Figure 3 Kaplan Meier estimates 2010-2015",
    "HR 1.25 (95% CI 1.10-1.42), p = 0.003",
    "pH 7.35, pCO2 40 mmHg, HCO3 22",
    "Medicaid 2014-2016 data on 3,456,789 beneficiaries",
    "The trial enrolled 18,201 patients between 2005 and 2008.",
    "ICD-10 code I48.91 and CPT 93000",
    "give 1 g ceftriaxone IV every 24 hours for 7 days",
    "QTc 480 ms on 12-lead ECG at 110 bpm",
    "Mean age 65.3 ± 10.2 years; 2,345 of 5,678 (41.3%) were women",
    "The patient was admitted for 3 days.",
    "Version 2.1.0 released 2023-05-01",
    "I saw the patient Monday Morning about her INR of 3.4",
    "Contact with an STD Patient Individuals with a history of exposure",
    "the Patient Protection and Affordable Care Act of 2010",
    "Which finding is most likely in this patient: Anion gap metabolic acidosis",
    "Antibiotic of choice in a penicillin allergic patient – Erythromycin "
    "Clindamycin Vancomycin",
    "Patient-Controlled Therapy of Breathlessness",
    "what would this be called? Hit Miss False alarm Correct rejection",
    "Will We Miss Cancers Following Updated Guidelines?",
    "give L.A. to the patient Intrapulpal Intraligamentary Intraosseous",
    "Take 2 St John's wort capsules daily",
    "Take 2 Tylenol St John",
]


@pytest.mark.parametrize(("text", "kind", "found"), POSITIVES)
def test_identifier_is_found(text, kind, found):
    findings = detect(text)
    assert [(f.kind, f.text) for f in findings] == [(kind, found)]
    finding = findings[0]
    assert text[finding.start : finding.end] == found
    assert contains_phi(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_clinical_text_is_not_flagged(text):
    assert detect(text) == []
    assert not contains_phi(text)
    assert redact(text) == text


def test_nhs_number_needs_a_valid_check_digit():
    # 943 476 5919 is valid; changing the last digit breaks the mod-11 check.
    assert detect("NHS number 943 476 5918") == []
    assert detect("NHS number 943 476 5919")[0].kind == "ID"


def test_impossible_ssn_areas_are_not_ssns():
    assert detect("000-12-3456") == []
    assert detect("666-12-3456") == []


def test_clinician_names_are_not_patient_identifiers():
    assert detect("Ask Dr. Smith about the Wells score.") == []
    assert detect("Wells PS, Anderson DR, Rodger M, et al. NEJM 2003.") == []


@pytest.mark.parametrize(
    ("text", "name", "identifier"),
    [
        ("John Smith, DOB 03/14/1952, needs apixaban", "John Smith", "03/14/1952"),
        ("Jane Doe (dob 1/2/1950) has AF", "Jane Doe", "1/2/1950"),
        ("Ann Lee, MRN 1234567, on warfarin", "Ann Lee", "1234567"),
    ],
)
def test_a_full_name_before_a_birth_date_or_record_number(text, name, identifier):
    assert [f.text for f in detect(text)] == [name, identifier]


def test_several_findings_in_order():
    text = (
        "Patient Jane Doe, DOB 12/05/1948, MRN 00123456, phone (555) 201-3344, "
        "lives at 12 Elm Street."
    )
    assert [f.kind for f in detect(text)] == ["NAME", "DOB", "MRN", "PHONE", "ADDRESS"]
    assert redact(text) == (
        "Patient [NAME], DOB [DOB], MRN [MRN], phone [PHONE], lives at [ADDRESS]."
    )


def test_redaction_keeps_the_clinical_question():
    question = (
        "my patient Maria Garcia, 54, MRN 12345678, eGFR 28: can she take "
        "apixaban 5 mg twice daily?"
    )
    assert redact(question) == (
        "my patient [NAME], 54, MRN [MRN], eGFR 28: can she take "
        "apixaban 5 mg twice daily?"
    )


def test_redact_tags():
    assert redact("SSN 123-45-6789") == "SSN [SSN]"
    assert redact("NHS no 9434765919") == "NHS no [ID]"
    assert redact("e-mail j.doe@example.org") == "e-mail [EMAIL]"
    assert redact("admitted on 3 March 2024") == "admitted on [DATE]"
    assert redact("") == ""


def test_findings_are_plain_values():
    finding = detect("MRN 12345678")[0]
    assert finding == PhiFinding("MRN", 4, 12, "12345678")


def test_redact_obj_recurses_and_leaves_other_values():
    details = {
        "question": "Mrs Jones, DOB 01/02/1950: dose of apixaban?",
        "tool": "cockcroft_gault",
        "arguments": {"age_years": 74, "weight_kg": 61.5, "on_dialysis": False},
        "history": ["pt: Jane Doe", "creatinine 1.4", ("MRN 7654321", None)],
        "phone 555-123-4567": 1,
    }
    redacted = redact_obj(details)
    assert redacted == {
        "question": "Mrs [NAME], DOB [DOB]: dose of apixaban?",
        "tool": "cockcroft_gault",
        "arguments": {"age_years": 74, "weight_kg": 61.5, "on_dialysis": False},
        "history": ["pt: [NAME]", "creatinine 1.4", ("MRN [MRN]", None)],
        "phone [PHONE]": 1,
    }
    # The input is not changed.
    assert details["question"].startswith("Mrs Jones")


def test_long_text_is_handled_whole():
    # Many near-misses in one long text: names without context, numbers that
    # are not phones, capitalised runs after "patient".
    chunk = "Patient Education Counseling Safety Weight 12 34 5678 Wells Smith. "
    text = chunk * 5000 + "patient John Smith"
    findings = detect(text)
    assert [(f.kind, f.text) for f in findings] == [("NAME", "John Smith")]


@pytest.mark.corpus
def test_corpus_text_documents_name_no_patient(corpus_dir):
    # The plain-text documents are public-health guidance: doses, regimens,
    # statistics, references. No line names a patient; the only identifiers
    # are the publisher's own contact details, which are found as such.
    paths = sorted((corpus_dir / "docs" / "txt").glob("*.txt"))
    assert paths
    found = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            found.extend(detect(line))
    assert {f.kind for f in found} == {"EMAIL", "PHONE", "ADDRESS"}
    assert {f.text for f in found if f.kind == "EMAIL"} == {
        "mmwrq@cdc.gov",
        "rbitsko@cdc.gov",
    }
    assert {f.text for f in found if f.kind == "PHONE"} == {
        "(202) 512-1800",
        "404-498-3556",
        "800-232-4636",
    }
    assert {f.text for f in found if f.kind == "ADDRESS"} == {
        "1600 Clifton Rd, MailStop"
    }


@pytest.mark.corpus
def test_corpus_dose_sentences_are_not_flagged(corpus_dir):
    path = corpus_dir / "docs" / "txt" / "cdc_mmwr_1989_std_treatment_guidelines.txt"
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if " mg" in line or "Patient " in line
    ]
    assert len(lines) > 20
    assert [line for line in lines if contains_phi(line)] == []


@pytest.mark.corpus
def test_benchmark_questions_are_not_flagged(corpus_dir):
    # Clinical vignettes and biomedical questions (MIRAGE: MedQA, MedMCQA,
    # MMLU, PubMedQA; BioASQ). They describe patients without identifying
    # any, so every one may be answered remotely.
    qa = corpus_dir / "qa"
    benchmark = json.loads((qa / "mirage" / "benchmark.json").read_text("utf-8"))
    questions = [
        item["question"] for items in benchmark.values() for item in items.values()
    ]
    for path in sorted((qa / "bioasq").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        questions.extend(q["body"] for q in data["questions"])
    assert len(questions) > 7000
    assert [q for q in questions if contains_phi(q)] == []
