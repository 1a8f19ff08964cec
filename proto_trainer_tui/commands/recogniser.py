"""``proto-trainer recogniser``: which local speech recogniser the embedded caller listens with; install one."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "recogniser",
        help="the embedded caller's speech recogniser: status, install the Moonshine model",
        description="The embedded simulated caller hears the counselor with a local recogniser. Moonshine "
        "(an English speech model, MIT licence, ~28 MB) hears far more of what is said than pocketsphinx "
        "alone; its files come from the npm and PyPI registries (needs npm and pip) into the user data "
        "folder, or $PROTO_TRAINER_MODELS_DIR. Without it the caller listens with pocketsphinx.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("status", help="which recogniser a call uses now, and where its model is (default)")
    actions.add_parser("install", help="fetch the Moonshine model, check its checksums, put it in place")


def run(args: argparse.Namespace) -> int:
    from ..sim.speech_models import MOONSHINE_TINY, ModelInstallError, install, installed_dir, models_dir

    if args.action == "install":
        try:
            install(MOONSHINE_TINY)
        except (ModelInstallError, OSError) as exc:
            print(f"proto-trainer recogniser install: {exc}", file=sys.stderr)
            return 1
        return 0
    from ..sim.moonshine import shared_model
    from ..sim.recognizer import RecognitionUnavailable

    folder = installed_dir(MOONSHINE_TINY)
    problem = None
    if folder:
        try:
            shared_model()
        except RecognitionUnavailable as exc:
            problem = str(exc)
    if problem:
        print(f"moonshine: {problem}; calls listen with pocketsphinx alone. Reinstall: remove {folder}, "
              "then proto-trainer recogniser install")
    elif folder:
        print(f"moonshine: installed in {folder}; calls listen with Moonshine, pocketsphinx as a second ear")
    else:
        print(f"moonshine: not installed (would go in {models_dir() / MOONSHINE_TINY.name}); calls listen "
              "with pocketsphinx alone. Install it: proto-trainer recogniser install")
    return 0
