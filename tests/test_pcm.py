import math

import numpy as np
import pytest

from proto_trainer_tui.audio import pcm


def sine(freq: float, rate: int, seconds: float, amplitude: float = 32767) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def test_constants():
    assert (pcm.SAMPLE_RATE, pcm.SAMPLE_WIDTH, pcm.FRAME_MS) == (24_000, 2, 20)


def test_base64_round_trip():
    data = sine(440, pcm.SAMPLE_RATE, 0.05).tobytes()
    text = pcm.encode_b64(data)
    assert isinstance(text, str)
    assert text != ""
    assert pcm.decode_b64(text) == data
    assert pcm.encode_b64(b"") == ""
    assert pcm.decode_b64("") == b""


def test_base64_known_value():
    # Two samples: 1 and -1 as little-endian int16.
    assert pcm.encode_b64(b"\x01\x00\xff\xff") == "AQD//w=="
    assert pcm.decode_b64("AQD//w==") == b"\x01\x00\xff\xff"


@pytest.mark.parametrize("bad", ["not base64!", "AQD", "AQ==\n@@", "é"])
def test_decode_rejects_invalid_base64(bad):
    with pytest.raises(ValueError, match="base64"):
        pcm.decode_b64(bad)


def test_decode_rejects_odd_length():
    odd = pcm.encode_b64(b"\x01\x02\x03")
    with pytest.raises(ValueError, match="even number of bytes"):
        pcm.decode_b64(odd)


def test_resample_identity_returns_equal_copy():
    samples = sine(300, 24_000, 0.1)
    out = pcm.resample(samples, 24_000, 24_000)
    assert out.dtype == np.int16
    np.testing.assert_array_equal(out, samples)


@pytest.mark.parametrize("from_rate,to_rate", [(22_050, 24_000), (48_000, 24_000), (16_000, 24_000)])
def test_resample_length_and_frequency(from_rate, to_rate):
    samples = sine(1000, from_rate, 1.0, amplitude=20_000)
    out = pcm.resample(samples, from_rate, to_rate)
    assert out.dtype == np.int16
    assert abs(len(out) - to_rate) <= 2
    # A 1 kHz tone must still be 1 kHz at the new rate (FFT bin width is 1 Hz).
    assert abs(peak_frequency(out, to_rate) - 1000) <= 2
    # And it keeps its level (no clipping, no big loss).
    assert abs(pcm.dbfs(out.tobytes()) - pcm.dbfs(samples.tobytes())) < 0.5


def test_resample_empty():
    out = pcm.resample(np.zeros(0, np.int16), 22_050, 24_000)
    assert out.dtype == np.int16 and out.size == 0


def test_dbfs_full_scale_sine_is_about_minus_3():
    level = pcm.dbfs(sine(1000, 24_000, 0.5).tobytes())
    assert level == pytest.approx(-3.01, abs=0.05)


def test_dbfs_half_amplitude_is_6_db_lower():
    full = pcm.dbfs(sine(1000, 24_000, 0.5).tobytes())
    half = pcm.dbfs(sine(1000, 24_000, 0.5, amplitude=16384).tobytes())
    assert full - half == pytest.approx(6.02, abs=0.05)


def test_dbfs_silence_and_empty_hit_the_floor():
    assert pcm.dbfs(b"") == -120.0
    assert pcm.dbfs(bytes(4800)) == -120.0
    assert math.isfinite(pcm.dbfs(b"\x01\x00"))
    assert pcm.dbfs(b"\x01\x00") > -120.0


def test_dbfs_rejects_odd_length():
    with pytest.raises(ValueError):
        pcm.dbfs(b"\x00\x00\x00")


def test_duration_ms():
    assert pcm.duration_ms(48_000) == 1000
    assert pcm.duration_ms(960) == 20
    assert pcm.duration_ms(44_100, rate=22_050) == 1000
    assert pcm.duration_ms(0) == 0
    assert pcm.duration_ms(47) == 0  # 23 samples < 1 ms at 24 kHz


def test_frames_split_with_short_tail():
    frame_bytes = 24_000 * 20 // 1000 * 2  # 960
    data = bytes(range(256)) * 10  # 2560 bytes -> 960, 960, 640
    chunks = list(pcm.frames(data))
    assert [len(c) for c in chunks] == [frame_bytes, frame_bytes, 640]
    assert b"".join(chunks) == data


def test_frames_custom_size_and_exact_multiple():
    data = bytes(3 * 320)  # exactly three 10 ms frames at 16 kHz
    chunks = list(pcm.frames(data, frame_ms=10, rate=16_000))
    assert [len(c) for c in chunks] == [320, 320, 320]
    assert list(pcm.frames(b"")) == []


def test_frames_rejects_empty_frame_size():
    with pytest.raises(ValueError):
        list(pcm.frames(b"\x00\x00", frame_ms=0))
