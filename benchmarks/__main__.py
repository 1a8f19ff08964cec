"""Run every benchmark: ``./dev bench`` (or ``python -m benchmarks``). Each also runs alone:
``python -m benchmarks.NAME`` (see docs/benchmarks.md)."""

import asyncio

from . import (
    caller_model, caller_turns, coder_model, evaluation_quality, guard_model, hung_server, scenario_profiles,
    shared_store, soak, spoken_turns, store, typed_turns, utterance_coding, voice_streaming,
)

asyncio.run(typed_turns.main())
asyncio.run(spoken_turns.main())
asyncio.run(caller_model.main())
asyncio.run(voice_streaming.main([]))
asyncio.run(hung_server.main())
asyncio.run(soak.main([]))
store.main()
shared_store.main([])
evaluation_quality.main()
utterance_coding.main([])
coder_model.main([])
guard_model.main([])
scenario_profiles.main()
caller_turns.main(["--spoken"])
