"""PCM audio helpers."""
