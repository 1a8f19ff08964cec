import threading
import time

import numpy as np
import pytest

from proto_trainer_tui.audio import pcm
from proto_trainer_tui.sim.speech import SpeechUnavailable, Synthesizer

SENTENCE = "Hello, I need someone to talk to."


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    synthesizer = Synthesizer()
    synthesizer.check()  # fails loudly (with the reason) if espeak-ng can't load
    return synthesizer


def median_pitch_hz(audio: bytes, rate: int = pcm.SAMPLE_RATE) -> float:
    """Crude autocorrelation pitch estimate over the voiced 40 ms windows."""
    samples = np.frombuffer(audio, np.int16).astype(np.float64)
    window = rate // 25
    lo, hi = rate // 400, rate // 60
    estimates = []
    for start in range(0, len(samples) - window, window // 2):
        frame = samples[start : start + window]
        if np.sqrt(np.mean(frame * frame)) < 1000:
            continue
        corr = np.correlate(frame, frame, "full")[window - 1 :]
        estimates.append(rate / (lo + np.argmax(corr[lo:hi])))
    assert estimates, "no voiced audio found"
    return float(np.median(estimates))


def test_unavailable_is_a_runtime_error():
    assert issubclass(SpeechUnavailable, RuntimeError)


def test_library_is_available(synth):
    assert synth.voices_available() is True


def test_sentence_streams_audible_24k_audio_in_chunks(synth):
    chunks: list[bytes] = []
    synth.synthesize(SENTENCE, on_chunk=chunks.append)

    audio = b"".join(chunks)
    assert all(isinstance(c, bytes) and len(c) % 2 == 0 and c for c in chunks)
    assert 1000 <= pcm.duration_ms(len(audio)) <= 5000
    assert pcm.dbfs(audio) > -40
    assert len(chunks) >= 5
    # Chunks are short (tens of ms), not one big buffer.
    assert max(pcm.duration_ms(len(c)) for c in chunks) <= 200


def test_first_chunk_arrives_long_before_the_end(synth):
    # A long text makes synthesis take measurable time (~0.1 s); a streaming
    # synthesizer delivers its first chunk after a small fraction of it.
    text = " ".join([SENTENCE] * 15)
    arrivals: list[float] = []
    started = time.perf_counter()
    synth.synthesize(text, on_chunk=lambda _chunk: arrivals.append(time.perf_counter()))
    finished = time.perf_counter()
    assert len(arrivals) > 100
    assert arrivals[0] - started < 0.2 * (finished - started)


def test_output_is_resampled_from_22050(synth):
    # espeak speaks at 22050 Hz, so properly resampled 24 kHz audio has
    # (almost) nothing above the 11025 Hz source Nyquist. Raw 22050 Hz samples
    # mislabelled as 24 kHz put ~5e-5 of their energy there; resampled ~1e-9.
    samples = np.frombuffer(synth.synthesize_all(SENTENCE, rate_wpm=120), np.int16)
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / pcm.SAMPLE_RATE)
    assert spectrum[freqs > 11_300].sum() / spectrum.sum() < 1e-6


def test_synthesize_all_matches_streamed_length(synth):
    streamed: list[bytes] = []
    synth.synthesize(SENTENCE, on_chunk=streamed.append)
    whole = synth.synthesize_all(SENTENCE)
    # espeak adds tiny random variation, so compare durations, not bytes.
    assert abs(pcm.duration_ms(len(whole)) - pcm.duration_ms(len(b"".join(streamed)))) < 100


def test_rate_changes_duration(synth):
    slow = synth.synthesize_all(SENTENCE, rate_wpm=100)
    fast = synth.synthesize_all(SENTENCE, rate_wpm=300)
    assert len(slow) > 1.8 * len(fast)


def test_empty_and_whitespace_text_yield_nothing(synth):
    chunks: list[bytes] = []
    for text in ["", "   ", "\n\t "]:
        synth.synthesize(text, on_chunk=chunks.append)
    assert chunks == []
    assert synth.synthesize_all("") == b""


def test_unknown_voice_falls_back(synth):
    audio = synth.synthesize_all(SENTENCE, voice="xx-no-such-voice")
    assert 1000 <= pcm.duration_ms(len(audio)) <= 5000
    assert pcm.dbfs(audio) > -40
    # Falls back to en-us (male default), not to whatever voice was used last.
    synth.synthesize_all("Hi.", voice="en-us+f3")
    fallback_pitch = median_pitch_hz(synth.synthesize_all(SENTENCE, voice="xx-no-such-voice"))
    assert fallback_pitch < 150


def test_variants_and_regional_voices(synth):
    male = median_pitch_hz(synth.synthesize_all(SENTENCE, voice="en-us"))
    female = median_pitch_hz(synth.synthesize_all(SENTENCE, voice="en-us+f3"))
    assert female > 1.4 * male
    # "en-gb" is a language tag, not an espeak voice file name; it must still
    # resolve, including with a variant.
    british_female = median_pitch_hz(synth.synthesize_all(SENTENCE, voice="en-gb+f3"))
    assert british_female > 1.4 * male


def test_markup_is_read_as_text(synth):
    untagged = synth.synthesize_all("hello world")
    tagged = synth.synthesize_all("hello <b>world</b>")
    # With SSML on, the tags would vanish and both would be the same length;
    # as plain text espeak also speaks the "<b>" characters.
    assert len(tagged) > 1.5 * len(untagged)


def test_concurrent_calls_both_succeed(synth):
    results: dict[str, list[bytes]] = {"a": [], "b": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str, voice: str) -> None:
        try:
            start.wait()
            for _ in range(3):
                chunks: list[bytes] = []

                def on_chunk(chunk: bytes) -> None:
                    chunks.append(chunk)
                    time.sleep(0.001)  # yield the GIL so the threads interleave

                synth.synthesize(SENTENCE, voice=voice, on_chunk=on_chunk)
                results[name].append(b"".join(chunks))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=("a", "en-us")),
        threading.Thread(target=worker, args=("b", "en-us+f3")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for name in ("a", "b"):
        assert len(results[name]) == 3
        for audio in results[name]:
            assert 1000 <= pcm.duration_ms(len(audio)) <= 5000
            assert pcm.dbfs(audio) > -40
    # Each utterance kept its own voice and audio: nothing leaked across threads.
    male = max(median_pitch_hz(audio) for audio in results["a"])
    female = min(median_pitch_hz(audio) for audio in results["b"])
    assert female > 1.4 * male


def test_exception_in_callback_aborts_and_propagates(synth):
    calls = 0

    def explode(_chunk: bytes) -> None:
        nonlocal calls
        calls += 1
        raise KeyError("stop")

    with pytest.raises(KeyError):
        synth.synthesize(SENTENCE, on_chunk=explode)
    assert calls == 1
    # The engine is still usable afterwards.
    assert pcm.duration_ms(len(synth.synthesize_all(SENTENCE))) >= 1000


def test_cancel_event_stops_early(synth):
    cancel = threading.Event()
    chunks: list[bytes] = []

    def on_chunk(chunk: bytes) -> None:
        chunks.append(chunk)
        if len(chunks) == 3:
            cancel.set()

    synth.synthesize(SENTENCE, on_chunk=on_chunk, cancel=cancel)
    assert len(chunks) == 3
