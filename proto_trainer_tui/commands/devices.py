"""``proto-trainer devices``: the sound devices PortAudio can see, for --input-device/--output-device."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands) -> None:
    commands.add_parser(
        "devices",
        help="list microphones and speakers",
        description="List the input and output devices PortAudio can use. Pass an index or a name to "
        "--input-device / --output-device (the settings screen, s, remembers the choice).",
    )


def run(_args: argparse.Namespace) -> int:
    from ..audio.devices import AudioUnavailable, list_devices

    try:
        devices = list_devices()
    except AudioUnavailable as exc:
        print(f"proto-trainer devices: {exc}", file=sys.stderr)
        return 1
    if not devices:
        print("no sound devices found (over SSH or in a container there may be none: practise by typing)")
        return 0
    print(f"{'index':>5}  {'in':>3} {'out':>3}  {'rate':>6}  name")
    for device in devices:
        marks = " (default input)" * device.default_input + " (default output)" * device.default_output
        print(f"{device.index:>5}  {device.inputs:>3} {device.outputs:>3}  {device.default_rate:>6.0f}  {device.name}{marks}")
    return 0
