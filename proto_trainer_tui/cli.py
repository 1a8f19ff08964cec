"""Command line: ``proto-trainer`` (the app), ``serve``, ``scenarios`` and ``sessions``."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys

from .config import (
    API_KEY_ENV,
    CA_FILE_ENV,
    DATA_DIR_ENV,
    DATABASE_URL_ENV,
    RECOGNISERS,
    SERVER_URL_ENV,
    ConfigError,
    load_settings,
)

DESCRIPTION = """\
Practise crisis-line calls with a simulated caller, by voice or by typing.

With no options the app starts its own simulated caller on 127.0.0.1 (offline,
no key needed).

keys (the footer shows those that act on the screen you are on):
  c          connect: start a call with the caller
  d          hang up (the call is saved)
  i, Enter   type a line to the caller, send it
  t          hands-free (the caller answers when you pause) or push-to-talk
  space      push-to-talk: start your turn, then end it
  m          mute or unmute the microphone
  e          after hanging up: evaluate the call
  h          history: past calls, recordings, evaluations
  s          settings: microphone, speaker, turn mode, headphones
  Esc        leave the input line; go back a screen
  Ctrl+P     all commands, by name
  Ctrl+Q     hang up and quit
"""

EPILOG = f"""\
environment:
  {API_KEY_ENV}            key sent as 'Authorization: Bearer' to --server-url
  {SERVER_URL_ENV}  same as --server-url
  {DATA_DIR_ENV}    same as --data-dir
  {DATABASE_URL_ENV}  same as --database-url
  {CA_FILE_ENV}     same as --ca-file
  PROTO_TRAINER_CALLER_API_KEY  key for --caller-model's endpoint (else {API_KEY_ENV})
  PROTO_TRAINER_STT_API_KEY     key for --stt-base-url (else {API_KEY_ENV})
  PROTO_TRAINER_MODELS_DIR      where 'proto-trainer recogniser install' puts speech models

The key for --server-url comes from {API_KEY_ENV}, else api_key in the config file
(keep it owner-only: chmod 600), else the system keyring ('proto-trainer key set').

example, OpenAI's realtime model:
  {API_KEY_ENV}=... proto-trainer --server-url 'wss://api.openai.com/v1/realtime?model=gpt-realtime'
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proto-trainer",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--server-url",
        metavar="URL",
        help="realtime websocket endpoint (ws:// or wss://); default: start the embedded simulated caller",
    )
    parser.add_argument("--scenario", metavar="ID", help="open this scenario directly ('scenarios list' shows ids)")
    parser.add_argument(
        "--no-audio", dest="audio", action="store_false", default=None,
        help="typed practice only: do not open the sound card",
    )
    parser.add_argument("--output-device", metavar="DEVICE", help="speaker: device index or name ('devices' lists them)")
    parser.add_argument("--input-device", metavar="DEVICE", help="microphone: device index or name ('devices' lists them)")
    parser.add_argument(
        "--turn-mode", choices=("vad", "ptt"),
        help="vad: hands-free, the caller answers when you pause (default); ptt: space starts and ends your turn",
    )
    parser.add_argument(
        "--no-record", dest="record", action="store_false", default=None,
        help="do not keep WAV recordings of calls (transcripts are still saved)",
    )
    parser.add_argument(
        "--reconnect-tries", metavar="N", type=int,
        help="tries after a dropped connection, with growing waits (default 5; 0 = never)",
    )
    parser.add_argument(
        "--headphones", action="store_true", default=None,
        help="you wear headphones: turn echo cancelling and half-duplex gating off",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="where sessions are kept (default: the user data folder)")
    parser.add_argument(
        "--database-url", metavar="URL",
        help="keep scenarios, sessions and evaluations on this shared PostgreSQL server "
        "(postgresql://ROLE[:PASSWORD]@HOST[:PORT]/DB) instead of SQLite in --data-dir",
    )
    parser.add_argument(
        "--connect-timeout", metavar="SECONDS", type=float,
        help="seconds to wait for the server to answer (default 10)",
    )
    parser.add_argument(
        "--ca-file", metavar="FILE",
        help="trust the CAs in this PEM file (instead of the system's) for a wss:// server; certificates are always checked",
    )
    add_caller_model_options(parser)
    parser.add_argument(
        "--caller-seed", metavar="N", type=int,
        help="seed of the embedded offline caller: the same words then give the same call (default: random per call)",
    )
    parser.add_argument(
        "--debug", action="store_true",
        help="write a debug log, websocket traces included (keys redacted), to the user log folder; its path is printed",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the simulated-caller server on its own",
        description="Run the simulated caller as a realtime-protocol websocket server. "
        "Clients authenticate with 'Authorization: Bearer TOKEN'.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)")
    serve.add_argument(
        "--token",
        help="token clients must present (default: $PROTO_TRAINER_SERVER_TOKEN, else a random one printed to stderr)",
    )
    add_caller_model_options(serve)
    serve.add_argument(
        "--seed", type=int, default=None,
        help="seed of the offline caller, the same for every call: the same words give the same call "
        "(default: $PROTO_TRAINER_CALLER_SEED, else random per call)",
    )
    serve.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)

    from .commands import assign, devices, evaluate, key, recogniser, review, scenarios, sessions, team

    scenarios.add_parser(commands)
    sessions.add_parser(commands)
    team.add_parser(commands)
    assign.add_parser(commands)
    review.add_parser(commands)
    devices.add_parser(commands)
    recogniser.add_parser(commands)
    evaluate.add_parser(commands)
    key.add_parser(commands)
    return parser


def add_caller_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--caller-model", metavar="MODEL",
        help="the embedded caller's words come from this OpenAI-compatible chat-completions model "
        "(key: $PROTO_TRAINER_CALLER_API_KEY, else $OPENAI_API_KEY); default: the offline caller engine",
    )
    parser.add_argument(
        "--caller-base-url", metavar="URL",
        help="the model's endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama (default: OpenAI's)",
    )
    parser.add_argument(
        "--stt-base-url", metavar="URL",
        help="transcribe the counselor through this OpenAI-compatible endpoint (key: $PROTO_TRAINER_STT_API_KEY, "
        "else $OPENAI_API_KEY); the local recogniser stays the fallback (default: the local recogniser only)",
    )
    parser.add_argument("--stt-model", metavar="MODEL", help="transcription model at --stt-base-url (default whisper-1)")
    parser.add_argument(
        "--recogniser", choices=RECOGNISERS,
        help="the embedded caller's local speech recogniser: moonshine (model from 'proto-trainer recogniser "
        "install', with pocketsphinx as a second ear), pocketsphinx, or auto: moonshine when installed (default)",
    )


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a Unix tool does. Point stdout at
        # /dev/null so the interpreter's last flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE, the status of a tool the pipe's signal ended


def _main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug_log = start_debug_log(args) if args.debug else None
    try:
        if args.command == "serve":
            return run_server(args)
        if args.command in ("scenarios", "sessions", "devices", "evaluate", "key", "team", "review", "recogniser"):
            from . import commands

            return getattr(commands, args.command).run(args)
        if args.command in ("assign", "assignments", "progress"):
            from .commands import assign

            return assign.run(args)
        return run_app(args, parser, debug_log)
    finally:
        if debug_log is not None:
            debug_log.close()


def start_debug_log(args: argparse.Namespace | None = None):
    from .config import database_password
    from .logs import start_debug_log

    from .sim.caller_model import CALLER_KEY_ENV
    from .sim.transcription import STT_KEY_ENV

    debug_log = start_debug_log([*(os.environ.get(name, "") for name in (API_KEY_ENV, CALLER_KEY_ENV, STT_KEY_ENV)),
                                 database_password(os.environ.get(DATABASE_URL_ENV)) or "",
                                 database_password(getattr(args, "database_url", None)) or ""])
    print(f"proto-trainer: debug log: {debug_log.path}", file=sys.stderr, flush=True)
    return debug_log


def run_app(args: argparse.Namespace, parser: argparse.ArgumentParser, debug_log=None) -> int:
    from .config import database_password, key_file_warning, with_keyring_key
    from .scenarios import UnknownScenario, get_scenario

    flags = {
        "server_url": args.server_url,
        "scenario_id": args.scenario,
        "audio": args.audio,
        "output_device": args.output_device,
        "input_device": args.input_device,
        "turn_mode": args.turn_mode,
        "headphones": args.headphones,
        "record": args.record,
        "reconnect_tries": args.reconnect_tries,
        "data_dir": args.data_dir,
        "database_url": args.database_url,
        "connect_timeout": args.connect_timeout,
        "ca_file": args.ca_file,
        "caller_model": args.caller_model,
        "caller_base_url": args.caller_base_url,
        "stt_base_url": args.stt_base_url,
        "stt_model": args.stt_model,
        "caller_seed": args.caller_seed,
        "recogniser": args.recogniser,
    }
    try:
        settings = load_settings(flags)
        if settings.scenario_id:
            get_scenario(settings.scenario_id, imported=stored_scenarios(settings))
    except (ConfigError, UnknownScenario) as exc:
        parser.error(str(exc).strip("'\""))
    from .realtime.connection import server_url_problem

    problem = server_url_problem(settings.server_url) if settings.server_url else None
    if problem:
        parser.error(f"--server-url: {problem}")
    settings = with_keyring_key(settings)
    if debug_log is not None:
        debug_log.redactor.add(settings.api_key)
        debug_log.redactor.add(database_password(settings.database_url))
    warning = key_file_warning()
    if warning:
        print(f"proto-trainer: warning: {warning}", file=sys.stderr, flush=True)

    if settings.caller_seed is not None:
        from .sim.process import SEED_ENV

        os.environ[SEED_ENV] = str(settings.caller_seed)  # the embedded server's child inherits it
    from .app import TrainerApp
    from .sim.process import SimOptions

    app = TrainerApp(
        server_url=settings.server_url,
        api_key=settings.api_key,
        scenario_id=settings.scenario_id,
        audio=settings.audio,
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        connect_timeout=settings.connect_timeout,
        output_device=settings.output_device,
        input_device=settings.input_device,
        turn_mode=settings.turn_mode,
        headphones=settings.headphones,
        record=settings.record,
        reconnect_tries=settings.reconnect_tries,
        ca_file=settings.ca_file,
        sim_options=SimOptions(settings.caller_model, settings.caller_base_url, settings.stt_base_url,
                               settings.stt_model, settings.recogniser),
    )
    if warning:
        app.notice(warning, error=True)
    app.run()
    return app.return_code or 0


def stored_scenarios(settings) -> list:
    """Scenarios imported into the session store, to check --scenario against (none if unreadable)."""
    from .store import Store, StoreError

    try:
        with Store.open(settings.resolved_data_dir(), settings.database_url) as store:
            return store.imported_scenarios()
    except StoreError:
        return []  # the app itself says what is wrong with the store


def run_server(args: argparse.Namespace) -> int:
    from .sim.process import SEED_ENV, TOKEN_ENV

    try:
        caller_model, transcription = endpoint_settings(args)
        recogniser = load_settings({"recogniser": args.recogniser}).recogniser
    except (ConfigError, ValueError) as exc:
        print(f"proto-trainer serve: {exc}", file=sys.stderr)
        return 2
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        token = secrets.token_urlsafe(24)
        print(f"token: {token}", file=sys.stderr, flush=True)
    seed = args.seed
    if seed is None and os.environ.get(SEED_ENV, "").lstrip("-").isdigit():
        seed = int(os.environ[SEED_ENV])
    try:
        asyncio.run(serve_until_stopped(args.host, args.port, token, args.exit_with_parent, caller_model,
                                        transcription, seed, recogniser))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"proto-trainer serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def endpoint_settings(args: argparse.Namespace):
    """(the caller's chat-completions model, the transcription endpoint), each or None; flags over the config file."""
    from .sim.caller_model import CallerModelSettings, caller_key
    from .sim.transcription import DEFAULT_STT_MODEL, TranscriptionSettings, stt_key

    settings = load_settings({"caller_model": args.caller_model, "caller_base_url": args.caller_base_url,
                              "stt_base_url": args.stt_base_url, "stt_model": args.stt_model})
    model = settings.caller_model and CallerModelSettings(settings.caller_model, settings.caller_base_url, caller_key())
    stt = settings.stt_base_url and TranscriptionSettings(settings.stt_base_url, settings.stt_model or DEFAULT_STT_MODEL,
                                                          stt_key())
    return model or None, stt or None


async def serve_until_stopped(host: str, port: int, token: str, exit_with_parent: bool,
                              caller_model=None, transcription=None, seed: int | None = None,
                              recogniser: str = "auto") -> None:
    import signal
    import threading

    from .sim.server import SimServer, listening_url

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if exit_with_parent:
        # The parent holds our stdin open; EOF means it is gone, even after SIGKILL.
        def wait_for_eof() -> None:
            sys.stdin.buffer.read()
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=wait_for_eof, name="parent-watch", daemon=True).start()
    sim_server = SimServer(token, caller_model=caller_model, transcription=transcription, seed=seed,
                           recogniser=recogniser)
    try:
        async with sim_server.serve(host, port) as server:
            print(f"listening {listening_url(server)}", flush=True)
            await stop.wait()
    finally:
        await sim_server.close()
