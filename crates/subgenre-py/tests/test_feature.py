"""subgenre.feature against librosa's outputs at its defaults (fixtures/librosa/defaults),
within the Rust parity tests' tolerances, with librosa's shapes and dtypes."""

import numpy as np
import pytest

import subgenre
from conftest import FIXTURES, input_clips, max_rel, np_stft, read_wav

INPUTS = [(cid, FIXTURES / "exact" / f"{cid}.wav") for cid in input_clips()] + [
    ("chirp", FIXTURES / "synthetic" / "chirp.wav")
]

# Tolerances of crates/subgenre-dsp/tests/librosa.rs.
REL = 1e-3  # chroma, rms, centroid, bandwidth, rolloff, zcr, mel power
MFCC_ABS = 0.01
DB_ABS = 0.01  # dB
ONSET_ABS = 1e-4
TEMPO_ABS = 1e-6
CONTRAST_ABS = 0.01  # dB


@pytest.fixture(params=INPUTS, ids=[i for i, _ in INPUTS])
def case(request):
    cid, wav = request.param
    y, sr = read_wav(wav)
    ref = np.load(FIXTURES / "defaults" / f"{cid}.npz")
    return y, sr, ref


def same_layout(ours, theirs):
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype, f"{ours.dtype} != {theirs.dtype}"


def test_melspectrogram_and_power_to_db(case):
    y, sr, ref = case
    S = subgenre.feature.melspectrogram(y=y, sr=sr)
    same_layout(S, ref["melspectrogram"])
    assert max_rel(S, ref["melspectrogram"]) <= REL
    db_max = subgenre.power_to_db(S, ref=np.max)
    same_layout(db_max, ref["power_to_db_max"])
    assert np.abs(db_max - ref["power_to_db_max"]).max() <= DB_ABS
    db_one = subgenre.power_to_db(S)
    assert np.abs(db_one - ref["power_to_db_one"]).max() <= DB_ABS
    # A callable other than np.max is called on |S|, as librosa does.
    db_call = subgenre.power_to_db(S, ref=lambda a: float(np.max(a)))
    assert np.abs(db_call - db_max).max() <= 1e-4
    power = np.abs(np_stft(y)) ** 2
    S2 = subgenre.feature.melspectrogram(S=power, sr=sr)
    same_layout(S2, ref["melspectrogram_S"])
    assert max_rel(S2, ref["melspectrogram_S"]) <= REL


def test_mfcc(case):
    y, sr, ref = case
    m = subgenre.feature.mfcc(y=y, sr=sr)
    same_layout(m, ref["mfcc"])
    assert np.abs(m - ref["mfcc"]).max() <= MFCC_ABS
    s_db = subgenre.power_to_db(subgenre.feature.melspectrogram(y=y, sr=sr))
    m2 = subgenre.feature.mfcc(S=s_db, sr=sr)
    assert np.abs(m2 - ref["mfcc_S"]).max() <= MFCC_ABS
    np.testing.assert_array_equal(m, m2)


def test_chroma_stft(case):
    y, sr, ref = case
    c = subgenre.feature.chroma_stft(y=y, sr=sr)
    same_layout(c, ref["chroma_stft"])
    assert max_rel(c, ref["chroma_stft"]) <= REL
    c2 = subgenre.feature.chroma_stft(S=np.abs(np_stft(y)) ** 2, sr=sr)
    assert max_rel(c2, ref["chroma_stft_S"]) <= REL


def test_rms_and_zero_crossing_rate(case):
    y, sr, ref = case
    r = subgenre.feature.rms(y=y)
    same_layout(r, ref["rms"])
    assert max_rel(r, ref["rms"]) <= REL
    r2 = subgenre.feature.rms(S=np.abs(np_stft(y)))
    same_layout(r2, ref["rms_S"])
    assert max_rel(r2, ref["rms_S"]) <= REL
    z = subgenre.feature.zero_crossing_rate(y)
    same_layout(z, ref["zero_crossing_rate"])
    assert max_rel(z, ref["zero_crossing_rate"]) <= REL


@pytest.mark.parametrize("name", ["spectral_centroid", "spectral_bandwidth", "spectral_rolloff"])
def test_spectral_shape(case, name):
    y, sr, ref = case
    v = getattr(subgenre.feature, name)(y=y, sr=sr)
    same_layout(v, ref[name])
    assert max_rel(v, ref[name]) <= REL
    if name == "spectral_centroid":
        v2 = subgenre.feature.spectral_centroid(S=np.abs(np_stft(y)), sr=sr)
        assert max_rel(v2, ref["spectral_centroid_S"]) <= REL


def test_spectral_contrast(case):
    y, sr, ref = case
    c = subgenre.feature.spectral_contrast(y=y, sr=sr)
    same_layout(c, ref["spectral_contrast"])
    assert np.abs(c - ref["spectral_contrast"]).max() <= CONTRAST_ABS
    c2 = subgenre.feature.spectral_contrast(S=np.abs(np_stft(y)), sr=sr)
    assert np.abs(c2 - ref["spectral_contrast_S"]).max() <= CONTRAST_ABS


def test_onset_strength_and_tempo(case):
    y, sr, ref = case
    o = subgenre.feature.onset_strength(y=y, sr=sr)
    same_layout(o, ref["onset_strength"])
    assert np.abs(o - ref["onset_strength"]).max() <= ONSET_ABS
    s_db = subgenre.power_to_db(subgenre.feature.melspectrogram(y=y, sr=sr))
    o2 = subgenre.feature.onset_strength(S=s_db, sr=sr)
    assert np.abs(o2 - ref["onset_strength_S"]).max() <= ONSET_ABS
    t = subgenre.feature.tempo(y=y, sr=sr)
    same_layout(t, ref["tempo"])
    assert abs(t[0] - ref["tempo"][0]) <= TEMPO_ABS
    t2 = subgenre.feature.tempo(onset_envelope=o, sr=sr)
    assert t2[0] == t[0]


def test_float64_input_and_bad_arguments():
    y, sr = read_wav(INPUTS[0][1])
    np.testing.assert_array_equal(
        subgenre.feature.melspectrogram(y=y.astype(np.float64), sr=sr),
        subgenre.feature.melspectrogram(y=y, sr=sr),
    )
    with pytest.raises(ValueError, match="window"):
        subgenre.feature.melspectrogram(y=y, window="hamming")
    with pytest.raises(ValueError, match="y or S"):
        subgenre.feature.melspectrogram(y=y, S=np.ones((1025, 3), np.float32))
    with pytest.raises(ValueError, match="either y"):
        subgenre.feature.mfcc()
    with pytest.raises(ValueError, match="n_fft"):
        subgenre.feature.melspectrogram(y=y, n_fft=0)
    with pytest.raises(ValueError, match="finite"):
        subgenre.feature.rms(y=np.array([0.0, np.nan], np.float32))
    with pytest.raises(ValueError, match="ref"):
        subgenre.power_to_db(np.ones(3, np.float32), ref="max")
