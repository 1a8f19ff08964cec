"""What the caller said, and when, so a barge-in can cut it to what was heard (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..audio.pcm import SAMPLE_RATE


@dataclass
class SpokenItem:
    """One caller item: its sentences with their audio spans, in order."""

    item_id: str
    started_at: float = 0.0  # loop time when the reply began, for pacing
    sentences: list[tuple[int, int, str]] = field(default_factory=list)  # (start_ms, end_ms, text)
    audio_bytes: int = 0
    truncated_at_ms: int | None = None

    @property
    def audio_ms(self) -> int:
        return self.audio_bytes // 2 * 1000 // SAMPLE_RATE

    def begin_sentence(self) -> int:
        return self.audio_ms

    def add_audio(self, num_bytes: int) -> None:
        self.audio_bytes += num_bytes

    def end_sentence(self, start_ms: int, text: str) -> None:
        self.sentences.append((start_ms, self.audio_ms, text))

    def end_partial(self, start_ms: int, text: str, rate_wpm: int) -> None:
        """A sentence cut off while being voiced: keep the words its audio so far carried,
        estimated from the speaking rate."""
        words = text.split()
        expected_ms = len(words) * 60_000 / max(1, rate_wpm)
        share = min(1.0, (self.audio_ms - start_ms) / max(1.0, expected_ms))
        kept = " ".join(words[: int(len(words) * share)])
        if kept:
            self.sentences.append((start_ms, self.audio_ms, kept))

    @property
    def transcript(self) -> str:
        return " ".join(text for _, _, text in self.sentences)

    def heard(self, audio_end_ms: int) -> str:
        """The words played by ``audio_end_ms``: whole sentences, then a share of the one cut off."""
        words: list[str] = []
        for start, end, text in self.sentences:
            if end <= audio_end_ms:
                words += text.split()
            elif start < audio_end_ms:
                sentence = text.split()
                share = (audio_end_ms - start) / max(1, end - start)
                words += sentence[: int(len(sentence) * share)]
                break
            else:
                break
        return " ".join(words)

    def truncate(self, audio_end_ms: int) -> str:
        """Keep only what was heard (clamped to the audio sent); returns the heard transcript."""
        audio_end_ms = max(0, min(audio_end_ms, self.audio_ms))
        heard = self.heard(audio_end_ms)
        self.truncated_at_ms = audio_end_ms
        self.sentences = [(0, audio_end_ms, heard)] if heard else []
        return heard
