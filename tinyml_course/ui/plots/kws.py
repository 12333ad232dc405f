"""Figures of the keyword-spotting section (pure functions: data in, ``matplotlib.figure.Figure`` out).

``mfcc_figure``: an utterance's MFCCs (frames x coefficients, time across) as an image.
``utterance_figure``: a signal's waveform above its MFCCs (time on the same axis).
``answer_bars``: the MCU's int8 output score per word, the answer highlighted.
"""

import numpy as np
from matplotlib.figure import Figure

MFCC_FIGSIZE = (9, 2.8)  # inches
UTTERANCE_FIGSIZE = (9, 3.6)  # inches; with its code cell it fits the 1280x800 slide
ANSWER_FIGSIZE = (9, 2.4)
MFCC_COLOURBAR = "dB (cepstral; row 0 saturates)"


def _draw_mfccs(ax, mfccs, hop_ms):
    """MFCCs (T, K) on ``ax``, frame t a column centred on t x hop_ms; returns the image.

    The colour scale spans coefficients 1..K-1; coefficient 0 (the level, hundreds of dB below
    the others) saturates its row.
    """
    frames, coefficients = mfccs.shape
    half = hop_ms / 2000  # seconds
    rest = mfccs[:, 1:]
    image = ax.imshow(mfccs.T, aspect="auto", origin="lower", cmap="viridis",
                      vmin=float(rest.min()), vmax=float(rest.max()),
                      extent=(-half, (frames - 1) * hop_ms / 1000 + half, -0.5, coefficients - 0.5))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MFCC coefficient")
    return image


def mfcc_figure(mfccs, hop_ms, title=""):
    """MFCCs (T, K) as an image, frame t at t x hop_ms (see ``_draw_mfccs`` for the colours)."""
    fig = Figure(figsize=MFCC_FIGSIZE)
    ax = fig.add_subplot()
    image = _draw_mfccs(ax, np.asarray(mfccs), hop_ms)
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, label=MFCC_COLOURBAR, pad=0.01)
    fig.subplots_adjust(bottom=0.17)
    return fig


def utterance_figure(audio, sample_rate, mfccs, hop_ms, title=""):
    """Waveform (n,) float samples at ``sample_rate`` Hz over its MFCCs (T, K)."""
    fig = Figure(figsize=UTTERANCE_FIGSIZE)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    seconds = np.arange(len(audio)) / sample_rate
    top.plot(seconds, audio, lw=0.6, color="0.2")
    top.set_ylabel("sample")
    top.set_title(title, fontsize=10)
    image = _draw_mfccs(bottom, np.asarray(mfccs), hop_ms)
    fig.colorbar(image, ax=[top, bottom], label=MFCC_COLOURBAR, pad=0.01)
    return fig


def answer_bars(scores, words, expected, title="the MCU's answer (int8 output scores)"):
    """Bars of int8 scores (K,) per word; the highest in orange, the expected word's label bold."""
    scores = np.asarray(scores).reshape(-1)
    fig = Figure(figsize=ANSWER_FIGSIZE)
    ax = fig.add_subplot()
    colours = ["tab:orange" if i == scores.argmax() else "tab:blue" for i in range(len(scores))]
    ax.bar(np.arange(len(scores)), scores.astype(int), color=colours)
    ax.set_xticks(np.arange(len(scores)), words)
    ax.get_xticklabels()[expected].set_fontweight("bold")
    ax.set_ylabel("int8 score")
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(bottom=0.2, left=0.08, right=0.98)
    return fig
