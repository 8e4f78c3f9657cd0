"""Small audio helpers shared by the recorder, the recogniser and the reader."""

from __future__ import annotations

import logging
from math import gcd
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

#: The rate Whisper expects; every recording and file is brought to it.
SPEECH_RATE = 16_000


def resample(
    samples: np.ndarray, rate_in: int, rate_out: int = SPEECH_RATE
) -> np.ndarray:
    """Resample audio with a polyphase filter (scipy), keeping float32.

    Args:
        samples: Audio, shape (frames,) or (frames, channels).
        rate_in: Rate of `samples` in Hz.
        rate_out: Wanted rate in Hz.

    Returns:
        The resampled audio, float32, same number of dimensions.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out or samples.shape[0] == 0:
        return samples

    from scipy.signal import resample_poly

    divisor = gcd(int(rate_in), int(rate_out))
    out = resample_poly(samples, rate_out // divisor, rate_in // divisor, axis=0)
    return out.astype(np.float32, copy=False)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Downmix (frames, channels) audio to (frames,) by averaging channels."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        return samples
    return samples.mean(axis=1, dtype=np.float32)


def save_wav(path: str | Path, samples: np.ndarray, rate: int = SPEECH_RATE) -> Path:
    """Write float audio in [-1, 1] as a 16-bit PCM WAV file.

    Args:
        path: Where to write; parent folders are created.
        samples: Audio, float32, shape (frames,) or (frames, channels).
        rate: Sample rate in Hz.

    Returns:
        The path written.
    """
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    sf.write(str(path), clipped, rate, subtype="PCM_16", format="WAV")
    return path


def load_audio(path: str | Path, rate: int = SPEECH_RATE) -> np.ndarray:
    """Read any file soundfile can read and bring it to `rate`, keeping channels.

    Args:
        path: An audio file (WAV, FLAC, OGG...).
        rate: Wanted rate in Hz.

    Returns:
        Float32 audio of shape (frames, channels).
    """
    import soundfile as sf

    samples, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    logger.debug(
        "Read %s: %d frames at %d Hz", Path(path).name, len(samples), file_rate
    )
    return resample(samples, file_rate, rate)
