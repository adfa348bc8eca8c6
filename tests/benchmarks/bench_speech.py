"""Speech to text offline, on this machine: how fast (a 60 s clip against its own length: the
real-time factor, target 4x or better, i.e. at most 15 s on 2 cores), how much memory the worker
holds (peak RSS of a fresh process), and how well (word error rate per language on sentences
with a known text, spoken by espeak-ng in Swedish, Dutch and English).

espeak-ng's robotic voice is harder than a person for Whisper in Swedish and Dutch: read these
rates as a floor for real speech, not a forecast.

Run: ``python -m tests.benchmarks.bench_speech`` (``make bench`` runs it with the others).
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

SENTENCES = {
    "en": [
        "The elevator in stairwell B has been broken for three weeks.",
        "The laundry room is clean and the new machines work well.",
        "Please fix the light in the bicycle room, it is very dark in the evening.",
        "My neighbours play loud music every night after midnight.",
        "The heating in my apartment does not work and it is cold.",
        "I would like a bench and more flowers in the courtyard.",
    ],
    "sv": [
        "Hissen i trappuppgång B har varit trasig i tre veckor.",
        "Tvättstugan är ren och de nya maskinerna fungerar bra.",
        "Laga lampan i cykelrummet, det är mörkt på kvällen.",
        "Grannarna spelar hög musik varje natt efter midnatt.",
        "Värmen i min lägenhet fungerar inte och det är kallt.",
        "Jag vill ha en bänk och fler blommor på gården.",
    ],
    "nl": [
        "De lift in trappenhuis B is al drie weken kapot.",
        "De wasruimte is schoon en de nieuwe machines werken goed.",
        "Repareer de lamp in de fietsenkelder, het is donker in de avond.",
        "Mijn buren draaien elke nacht na middernacht harde muziek.",
        "De verwarming in mijn woning doet het niet en het is koud.",
        "Ik wil graag een bankje en meer bloemen op de binnenplaats.",
    ],
}


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFC", text.lower())
    return re.findall(r"[\w']+", folded)


def word_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edits, reference words): Levenshtein distance over words."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1], len(ref)


def speak(text: str, language: str, target: Path) -> None:
    subprocess.run(["espeak-ng", "-v", language, "-s", "140", "-w", str(target), text], check=True)


def minute_of_speech(folder: Path) -> Path:
    """About 60 s of English speech with pauses, as a browser's WebM/Opus would carry it."""
    parts = []
    for index, sentence in enumerate(SENTENCES["en"] * 2):
        wav = folder / f"part{index}.wav"
        speak(sentence, "en", wav)
        parts.append(wav)
    listing = folder / "parts.txt"
    listing.write_text("".join(f"file '{p}'\nfile '{folder / 'pause.wav'}'\n" for p in parts))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono",
         "-t", "1.2", str(folder / "pause.wav")],
        check=True,
    )  # fmt: skip
    long_wav = folder / "long.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         str(long_wav)],
        check=True,
    )  # fmt: skip
    clip = folder / "minute.webm"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(long_wav), "-t", "60",
         "-c:a", "libopus", str(clip)],
        check=True,
    )  # fmt: skip
    return clip


def child(models_dir: str, clip: str) -> None:
    """In a fresh process: load the model, transcribe the clip; print seconds and peak RSS."""
    from media.transcribe import FasterWhisperTranscriber
    from panel.core.config import Settings

    settings = Settings.from_env(environ={}, models_dir=models_dir, instance_dir=models_dir)
    transcriber = FasterWhisperTranscriber(settings)
    started = time.perf_counter()
    transcriber._model()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    segments = transcriber.transcribe(Path(clip), language="en")
    took = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{loaded:.2f} {took:.2f} {peak_mb:.0f} {len(' '.join(s.text for s in segments))}")


def main() -> None:
    from media.transcribe import FasterWhisperTranscriber
    from panel.core.config import Settings

    with tempfile.TemporaryDirectory(prefix="stoop-bench-speech-") as folder_name:
        folder = Path(folder_name)
        models = str(Path(tempfile.gettempdir()) / "stoop-test-models")
        settings = Settings.from_env(environ={}, models_dir=models, instance_dir=str(folder))
        transcriber = FasterWhisperTranscriber(settings)
        transcriber.model_folder()  # joined and checked before anything is timed

        clip = minute_of_speech(folder)
        out = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.bench_speech", "--child", models, str(clip)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        loaded, took, peak, chars = float(out[0]), float(out[1]), float(out[2]), int(out[3])
        print(f"model load (checked hashes + CTranslate2 int8): {loaded:.2f} s")
        print(
            f"60 s clip: {took:.1f} s on {settings.speech_threads} threads = "
            f"{60 / took:.1f}x real time (target >= 4x, <= 15 s); {chars} characters heard"
        )
        print(f"peak memory of the transcribing process: {peak:.0f} MB")

        print("\nword error rate, espeak-ng voices (edits / reference words):")
        for language, sentences in SENTENCES.items():
            edits = total = 0
            started = time.perf_counter()
            for index, sentence in enumerate(sentences):
                wav = folder / f"{language}{index}.wav"
                speak(sentence, language, wav)
                heard = " ".join(s.text for s in transcriber.transcribe(wav, language=language))
                e, n = word_error_rate(sentence, heard)
                edits, total = edits + e, total + n
            seconds = time.perf_counter() - started
            print(
                f"  {language}: WER {edits / total:.0%} ({edits}/{total} words, "
                f"{len(sentences)} sentences, {seconds:.1f} s)"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
