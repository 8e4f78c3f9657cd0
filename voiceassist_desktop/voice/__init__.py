"""Voice input and output, offline.

`recorder` captures push-to-talk audio at 16 kHz, `stt` turns it into text
with Whisper, `vocabulary` primes Whisper with clinical terms, `tts` reads
answers aloud, `transcribe` handles audio files and `devices` lists audio
devices and checks what voice needs. Importing this package loads no model.
"""
