"""Measure speech recognition: word error rate, real-time factor and latency.

    python bench/voice.py [--cache DIR] [--only a,b,c]

(a) Twenty clinical questions, spoken by Piper (the shipped voice) and by
    espeak-ng, generated here. The vocabulary given to the recogniser is the
    shipped clinical list plus terms mined by `vocabulary.extract_terms` from
    the CDC texts in corpus/docs/txt (unrelated to the questions): it is not
    the list of words in the questions.
(b) The human recordings in corpus/speech against transcripts.tsv; the stereo
    clip is transcribed channel by channel, each against its own reference.
(c) Time from releasing the push-to-talk key (`Recorder.stop()`) to the
    transcript, for a question of about five seconds, through the recorder and
    a simulated ALSA microphone (this machine has none), model already loaded.

Texts are normalised with whisper_normalizer's EnglishTextNormalizer; WER is
jiwer's, pooled over all utterances of a set. RTF is decoding time over audio
duration (below 1 is faster than real time).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import jiwer  # noqa: E402
import numpy as np  # noqa: E402
from whisper_normalizer.english import EnglishTextNormalizer  # noqa: E402

from voiceassist_desktop.voice import vocabulary  # noqa: E402
from voiceassist_desktop.voice.audio import SPEECH_RATE, load_audio, resample  # noqa: E402
from voiceassist_desktop.voice.stt import WhisperSpeechToText  # noqa: E402
from voiceassist_desktop.voice.tts import Speaker  # noqa: E402

CORPUS = Path(
    os.environ.get(
        "VOICEASSIST_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
)

QUESTIONS = [
    "What is the renal dose adjustment for apixaban?",
    "Can rivaroxaban be used when creatinine clearance is below fifteen?",
    "What is the starting dose of empagliflozin in heart failure?",
    "Should metformin be stopped before a contrast scan?",
    "How do I reverse dabigatran before emergency surgery?",
    "What is the maximum daily dose of paracetamol in liver disease?",
    "Does clarithromycin interact with simvastatin?",
    "How should warfarin be bridged with enoxaparin?",
    "What are the side effects of semaglutide?",
    "When is spironolactone contraindicated in chronic kidney disease?",
    "What is the loading dose of amiodarone for atrial fibrillation?",
    "Which antibiotics are safe with penicillin allergy for pneumonia?",
    "How is hyperkalaemia treated in the emergency department?",
    "What is the target blood pressure for patients with diabetes?",
    "Can ramipril and losartan be given together?",
    "How long should clopidogrel continue after a coronary stent?",
    "What monitoring is needed for lithium treatment?",
    "Is gabapentin dose reduced in renal impairment?",
    "What is the first line treatment for community acquired pneumonia?",
    "How should levothyroxine be adjusted in pregnancy?",
]

normalise = EnglishTextNormalizer()


def library_terms(limit: int = 60) -> list[str]:
    """Terms mined from the corpus texts, standing in for a user's library."""
    text = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted((CORPUS / "docs" / "txt").glob("*.txt"))
    )
    return vocabulary.extract_terms(text, limit=limit)


def wer(references: list[str], hypotheses: list[str]) -> float:
    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    return jiwer.wer(refs, hyps)


def engines(cache: Path) -> dict[str, WhisperSpeechToText]:
    shared = WhisperSpeechToText(cache)
    model = shared.load()
    variants = {
        "no vocabulary": dict(include_shipped_terms=False, correct=False),
        "prompt": dict(correct=False),
        "prompt + correction": dict(),
        "hotwords + correction": dict(prompt_mode="hotwords"),
    }
    built = {}
    for name, options in variants.items():
        engine = WhisperSpeechToText(cache, **options)
        engine._model = model  # one model in memory for every variant
        built[name] = engine
    return built


def run_set(engine, clips, terms) -> tuple[float, float, list[str]]:
    hyps, spent, audio = [], 0.0, 0.0
    for samples in clips:
        started = time.perf_counter()
        hyps.append(engine.transcribe(samples, terms).text)
        spent += time.perf_counter() - started
        audio += len(samples) / SPEECH_RATE
    return spent / audio, audio, hyps


def part_a(variants, terms) -> None:
    piper = Speaker()
    espeak = Speaker(voice_model="/nonexistent.onnx")  # forces the espeak-ng path
    voices = {"piper": piper, "espeak-ng": espeak}
    print("\n(a) clinical questions (20), WER / RTF")
    print(
        f"    vocabulary: shipped list + {len(terms)} terms mined from corpus/docs/txt"
    )
    for voice_name, voice in voices.items():
        clips = [resample(*voice.synthesize(q)) for q in QUESTIONS]
        for name, engine in variants.items():
            use = terms if name != "no vocabulary" else []
            rtf, _audio, hyps = run_set(engine, clips, use)
            score = wer(QUESTIONS, hyps)
            print(f"    {voice_name:9s} {name:22s} WER {score:6.1%}  RTF {rtf:.2f}")
            for ref, hyp in zip(QUESTIONS, hyps, strict=True):
                if normalise(ref) != normalise(hyp):
                    print(f"        - {hyp}")


def human_references() -> list[tuple[np.ndarray, str]]:
    speech = CORPUS / "speech"
    items = []
    with (speech / "transcripts.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            audio = load_audio(speech / row["file"])
            reference = row["reference_transcript"]
            if "||" in reference:
                for index, part in enumerate(reference.split("||")):
                    items.append((audio[:, index], part.split(":", 1)[1].strip()))
            else:
                items.append((audio.mean(axis=1), reference))
    return items


def part_b(variants, terms) -> None:
    items = human_references()
    clips = [clip for clip, _ref in items]
    refs = [ref for _clip, ref in items]
    seconds = sum(len(c) for c in clips) / SPEECH_RATE
    print(
        f"\n(b) human recordings ({len(items)} utterances, {seconds:.0f} s), WER / RTF"
    )
    for name, engine in variants.items():
        use = terms if name != "no vocabulary" else []
        rtf, _audio, hyps = run_set(engine, clips, use)
        print(f"    {name:22s} WER {wer(refs, hyps):6.1%}  RTF {rtf:.2f}")
        for ref, hyp in zip(refs, hyps, strict=True):
            if normalise(ref) != normalise(hyp):
                print(f"        - {hyp}")


ASOUNDRC = """\
pcm.bench_mic {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{capture}"
    format "raw"
}}
pcm.!default {{
    type plug
    slave {{ pcm "bench_mic" format S16_LE rate 16000 channels 1 }}
}}
"""


def part_c(engine, terms, runs: int = 5) -> None:
    question = (
        "What is the renal dose adjustment for apixaban in a patient "
        "with chronic kidney disease?"
    )
    samples, rate = Speaker().synthesize(question)
    clip = resample(samples, rate)
    clip = np.pad(clip, (0, max(0, 5 * SPEECH_RATE - len(clip))))[: 5 * SPEECH_RATE]
    pcm = np.round(np.clip(clip, -1, 1) * 32767).astype("<i2")

    home = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    (home / "capture.raw").write_bytes(pcm.tobytes())
    (home / ".asoundrc").write_text(ASOUNDRC.format(capture=home / "capture.raw"))
    os.environ["HOME"] = str(home)
    import sounddevice as sd

    sd._terminate()
    sd._initialize()
    from voiceassist_desktop.voice.recorder import Recorder

    timings, cpu, text = [], [], ""
    for _ in range(runs):
        recorder = Recorder(max_seconds=5.0)
        recorder.start()
        recorder.wait_for_limit(timeout=30)
        released = time.perf_counter()  # the key is released here
        cpu_before = time.process_time()
        recording = recorder.stop()
        text = engine.transcribe(recording.samples, terms).text
        timings.append(time.perf_counter() - released)
        cpu.append(time.process_time() - cpu_before)
    print("\n(c) release-to-transcript, 5 s question, recorder path, model loaded")
    print(
        f"    median {statistics.median(timings):.2f} s, "
        f"max {max(timings):.2f} s over {runs} runs: {text!r}"
    )
    # CPU seconds (all threads) do not depend on what else the machine runs;
    # with two decoding threads the wall time on an idle machine is about half.
    print(
        f"    CPU time used: median {statistics.median(cpu):.2f} s "
        f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "voice-bench-cache"
    )
    parser.add_argument("--only", default="a,b,c")
    args = parser.parse_args()
    parts = set(args.only.split(","))

    started = time.perf_counter()
    variants = engines(args.cache)
    loaded = time.perf_counter() - started
    print(f"model: Whisper base int8, 2 threads; loaded in {loaded:.1f} s")
    terms = library_terms()
    if "a" in parts:
        part_a(variants, terms)
    if "b" in parts:
        part_b(variants, terms)
    if "c" in parts:
        part_c(variants["prompt + correction"], terms)


if __name__ == "__main__":
    main()
