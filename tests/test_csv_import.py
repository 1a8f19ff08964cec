"""Scenario CSV import/export: the template, round trips, and hostile files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proto_trainer_tui.cli import main
from proto_trainer_tui.scenarios import (
    get_scenario,
    load_library,
    scenario_for_instructions,
)
from proto_trainer_tui.scenarios.csv_io import (
    BASE_COLUMNS,
    CsvFileError,
    parse_scenarios_csv,
    scenarios_to_csv,
    slug_for,
)
from proto_trainer_tui.store import Store

TEMPLATE = Path("/work/shared/data/scenario-import-template.csv")
HEADER = ",".join(BASE_COLUMNS)


def parse(text: str, **kw):
    return parse_scenarios_csv(text.encode("utf-8"), **kw)


@pytest.fixture
def template_bytes() -> bytes:
    if TEMPLATE.exists():
        return TEMPLATE.read_bytes()
    # The same first row, for a checkout without the shared folder.
    return (HEADER + '\n"Suicidal Caller - First Time","You are a 24-year-old named Alex calling for the first time. '
            "You have been thinking about ending your life but haven't made a specific plan.\",\"First-time caller "
            'expressing passive suicidal ideation","Evaluate for: active listening",phone,onboarding\n').encode()


def test_the_template_imports_cleanly(template_bytes):
    result = parse_scenarios_csv(template_bytes)
    assert result.problems == [] and result.scenarios
    first = result.scenarios[0]
    assert (first.id, first.title, first.category, first.mode) == (
        "suicidal-caller-first-time", "Suicidal Caller - First Time", "onboarding", "phone")
    assert first.persona.name == "Alex" and first.persona.age == 24
    assert first.description == "First-time caller expressing passive suicidal ideation"
    assert first.evaluator_context.startswith("Evaluate for: active listening")
    assert result.lines[0] == 2


def test_quoted_multiline_fields_embedded_quotes_bom_and_crlf():
    text = ("\ufeff" + HEADER + "\r\n"
            '"Night ""shift"" worker","You are a nurse named Kim.\r\nYou lost your job last week.",'
            '"Two lines,\r\nwith a comma","Evaluate: warmth",chat,cohort\r\n'
            '"Second","You are lonely.",,,,\r\n')
    result = parse(text)
    assert result.problems == []
    first, second = result.scenarios
    assert first.title == 'Night "shift" worker' and first.id == "night-shift-worker"
    assert first.prompt == "You are a nurse named Kim.\nYou lost your job last week."
    assert first.description == "Two lines,\nwith a comma" and first.mode == "chat"
    assert (second.mode, second.category, second.description) == ("phone", "imported", "You are lonely.")
    assert result.lines == [2, 5]  # the first record spans lines 2-4


def test_bad_rows_are_reported_with_line_numbers_and_skipped():
    text = "\n".join([
        HEADER,
        '"Good one","You are a student named Ana, failing exams.",,,,',
        '"","No title here.",,,,',
        '"No prompt","",,,,',
        '"Too few","fields"',
        '"Bad mode","You are sad.",,,video,',
        '"Good one","Same title again.",,,,',
        '"Multi\nline title","You are sad.",,,,',
        '"Control","Bell \x07 here",,,,',
        "",
        '"Last good","You are a father named Tom whose son died.",,,phone,grief',
    ])
    result = parse(text)
    assert [s.id for s in result.scenarios] == ["good-one", "last-good"]
    assert [(p.line, p.reason.split(" (")[0]) for p in result.problems] == [
        (3, "title is empty"),
        (4, "prompt is empty"),
        (5, "expected 6 fields, found 2"),
        (6, "mode must be one of phone, chat, text"),
        (7, "same title as line 2; titles name scenarios, so rename one"),
        (8, "title must be on one line"),
        (10, "prompt contains control characters"),
    ]


def test_huge_fields_are_refused_per_row_and_the_rest_still_imports():
    text = "\n".join([
        HEADER,
        f'"Long","{"x" * 60_000}",,,,',
        f'"Longer than csv allows","{"y" * 200_000}",,,,',
        '"Fine","You are calm.",,,,',
    ])
    result = parse(text)
    assert [s.title for s in result.scenarios] == ["Fine"]
    assert [p.line for p in result.problems] == [2, 3]
    assert "too long" in result.problems[0].reason and "not valid CSV" in result.problems[1].reason


def test_an_unclosed_quote_is_reported_not_swallowed_silently():
    result = parse(HEADER + '\n"Fine","You are calm.",,,,\n"Broken","never closed,,,,\n')
    assert [s.title for s in result.scenarios] == ["Fine"]
    assert [p.line for p in result.problems] == [3]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"  \r\n\r\n", "empty"),
    (bytes(range(256)) * 40, "not UTF-8|binary"),
    (b"\x00\x01\x02PK\x03\x04" + b"\x00" * 300, "binary"),
    ("title,prompt\nCaf\u00e9,ok\n".encode("latin-1"), "line 2: not UTF-8"),
    (b'"Suicidal Caller","You are Alex.",desc,ctx,phone,onboarding\n', "expected a header row"),
    (b"title,promt,mode\n", "expected a header row"),
    (b"title,prompt,title\n", "more than once"),
])
def test_hostile_files_are_refused_with_a_reason(data, message):
    with pytest.raises(CsvFileError, match=message):
        parse_scenarios_csv(data)


def test_formula_looking_cells_are_kept_as_text_and_defused_on_export():
    result = parse(HEADER + '\n"=HYPERLINK(""http://evil"")","@SUM(A1) You are a man named Lee.",'
                   '"+1 description","-2 context",phone,"=cmd"\n')
    [scenario] = result.scenarios
    assert scenario.title == '=HYPERLINK("http://evil")' and scenario.category == "=cmd"
    assert scenario.id == "hyperlink-http-evil"
    exported = scenarios_to_csv([scenario])
    assert '"\'=HYPERLINK(""http://evil"")"' in exported and "\"'@SUM(A1)" in exported
    assert parse(exported).scenarios == [scenario]  # and the apostrophe goes away again


def test_ids_are_stable_and_never_clash_with_bundled_ones():
    bundled = load_library()
    clash = bundled[0]
    result = parse(f'{HEADER}\n"{clash.id}","You are someone else entirely.",,,,\n', bundled=bundled)
    assert result.scenarios[0].id == f"{clash.id}-imported"
    assert slug_for("Été à Paris!") == "ete-a-paris"
    assert slug_for("自杀") == slug_for("自杀") and slug_for("自杀").startswith("scenario-")


def test_export_and_import_round_trip_adds_nothing(tmp_path, capsys, template_bytes):
    source = tmp_path / "team.csv"
    source.write_bytes(template_bytes)
    data = ["--data-dir", str(tmp_path / "data")]
    assert main([*data, "scenarios", "import", str(source)]) == 0
    first_run = capsys.readouterr().out
    assert "added" in first_run and "0 skipped" in first_run
    assert main([*data, "scenarios", "import", str(source)]) == 0
    assert "0 added, 0 updated" in capsys.readouterr().out
    assert main([*data, "scenarios", "list"]) == 0
    listed = capsys.readouterr().out
    exported = tmp_path / "all.csv"
    assert main([*data, "scenarios", "export", "-o", str(exported)]) == 0
    assert exported.read_bytes().count(b"\r\n") >= len(load_library()) + 1
    # A fresh data folder gets exactly the same list back from the export.
    fresh = ["--data-dir", str(tmp_path / "fresh")]
    capsys.readouterr()
    assert main([*fresh, "scenarios", "import", str(exported)]) == 0
    assert f"{len(load_library())} already bundled" in capsys.readouterr().out
    assert main([*fresh, "scenarios", "list"]) == 0
    assert capsys.readouterr().out == listed
    # Re-importing the export into the first folder changes nothing either.
    assert main([*data, "scenarios", "import", str(exported)]) == 0
    assert "0 added, 0 updated" in capsys.readouterr().out


def test_bad_rows_give_a_summary_and_exit_code_1(tmp_path, capsys):
    source = tmp_path / "mixed.csv"
    source.write_text(f'{HEADER}\n"Ok","You are fine.",,,,\n"","",orphan description,,,\n', encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "scenarios", "import", str(source)]) == 1
    out, err = capsys.readouterr()
    assert "1 added, 0 updated, 0 unchanged, 1 skipped" in out
    assert f"{source}:3: skipped: title is empty" in err
    assert main(["--data-dir", str(tmp_path), "scenarios", "import", str(tmp_path / "missing.csv")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_imported_scenarios_are_offered_and_resolved_by_the_simulated_caller(tmp_path):
    result = parse(f'{HEADER}\n"Night shift","You are a 40-year-old woman named Rosa who lost her job and '
                   'has been thinking about suicide, no plan.","d","Evaluate: risk",chat,cohort\n')
    with Store.open(tmp_path) as store:
        store.save_scenario(result.scenarios[0])
        imported = store.imported_scenarios()
    [scenario] = imported
    assert scenario in load_library(imported)
    assert get_scenario("night-shift", imported) == scenario
    # The sim server child only sees the instructions text: it must play the same caller.
    heard = scenario_for_instructions(scenario.caller_instructions())
    assert (heard.title, heard.prompt, heard.persona, heard.risk, heard.opening) == (
        scenario.title, scenario.prompt, scenario.persona, scenario.risk, scenario.opening)


async def test_scenarios_imported_while_the_app_runs_appear_when_the_list_is_shown_again(tmp_path):
    import subprocess
    import sys

    from proto_trainer_tui.app import TrainerApp

    app = TrainerApp(server_url="ws://127.0.0.1:9/v1/realtime", audio=False, data_dir=str(tmp_path))
    async with app.run_test() as pilot:
        titles = lambda: [item.scenario.title for item in app.screen.query("ScenarioItem")]  # noqa: E731
        assert "Night-shift nurse who cannot sleep" not in titles()
        csv_file = tmp_path / "team.csv"
        csv_file.write_text("title,prompt,description,evaluator_context,mode,category\n"
                            "Night-shift nurse who cannot sleep,You are a nurse who has not slept in days.,"
                            "Exhausted and low,Ask about sleep and safety,phone,burnout\n", encoding="utf-8")
        imported = subprocess.run(  # as a trainer would, from another terminal
            [sys.executable, "-m", "proto_trainer_tui", "scenarios", "import", str(csv_file), "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60)
        assert imported.returncode == 0, imported.stderr
        await pilot.press("enter")  # into a practice screen and back: the list is shown again
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert "Night-shift nurse who cannot sleep" in titles()


# --- optional columns, generous limits, distinct ids (issue 12) ---------------------------------

def test_optional_columns_set_profile_fields_and_unknown_ones_are_named_not_refused():
    header = HEADER + ",caller_name,risk,plan,means,homicidal,opening,skills,difficulty,estimated_minutes,one_time,colour"
    result = parse(f'{header}\n"Set by columns","A caller who is struggling.",,,,,Sam,plan,"pills, tonight",'
                   'pills,no,silent,reflections,hard,15,yes,red\n')
    assert result.problems == [] and result.ignored_columns == ["colour"]
    [scenario] = result.scenarios
    profile = scenario.profile
    assert (profile.caller_name, profile.risk, profile.plan, profile.means, profile.homicidal, profile.opening) == (
        "Sam", "plan", "pills, tonight", "pills", False, "silent")
    assert {profile.source(k) for k in ("caller_name", "risk", "plan", "means", "homicidal", "opening")} == {"column"}
    assert scenario.columns["skills"] == "reflections" and "colour" not in scenario.columns


def test_a_column_beats_the_text_and_a_bad_column_value_skips_the_row_with_a_reason():
    header = HEADER + ",risk,homicidal"
    result = parse(f'{header}\n"Column wins","You are Ana. Deny SI.",,,,,passive,\n'
                   f'"Bad risk","You are Bo.",,,,,maybe,\n"Bad flag","You are Cy.",,,,,,perhaps\n')
    [scenario] = result.scenarios
    assert (scenario.profile.risk, scenario.profile.source("risk")) == ("passive", "column")
    assert [p.line for p in result.problems] == [3, 4]
    assert "risk must be one of" in result.problems[0].reason and "homicidal must be yes or no" in result.problems[1].reason


def test_limits_are_as_generous_as_the_web_trainer():
    title, context = "T" * 255, "c" * 50_000
    result = parse(f'{HEADER}\n"{title}","You are calm.",,"{context}",,\n"{"U" * 256}","You are calm.",,,,\n')
    assert [s.title for s in result.scenarios] == [title]
    assert result.scenarios[0].evaluator_context == context
    assert "title is too long" in result.problems[0].reason


def test_titles_that_differ_after_sixty_characters_get_distinct_ids():
    stem = "A very long scenario title that keeps going and going until sixty"
    result = parse(f'{HEADER}\n"{stem} - part one","You are calm.",,,,\n"{stem} - part two","You are sad.",,,,\n')
    assert result.problems == []
    first, second = result.scenarios
    assert first.id != second.id and second.id.startswith(first.id[:40])


def test_a_reimport_never_replaces_a_different_scenario(tmp_path, capsys):
    stem = "A very long scenario title that keeps going and going until sixty"
    data = ["--data-dir", str(tmp_path / "data")]
    for part, prompt in (("one", "You are Ana, calm."), ("two", "You are Bo, sad.")):
        source = tmp_path / f"{part}.csv"
        source.write_text(f'{HEADER}\n"{stem} - part {part}","{prompt}",,,,\n', encoding="utf-8")
        assert main([*data, "scenarios", "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "belongs to a different scenario" in out and "not replaced" in out
    with Store.open(tmp_path / "data") as store:
        titles = sorted(s.title for s in store.imported_scenarios())
    assert titles == [f"{stem} - part one", f"{stem} - part two"]


def test_import_prints_a_one_line_profile_per_row_and_show_prints_it_with_sources(tmp_path, capsys):
    source = tmp_path / "rows.csv"
    source.write_text(f'{HEADER},caller_name\n"Work stress","Deny SI/self-harm, discuss coping skills.",,,,,Chris\n',
                      encoding="utf-8")
    data = ["--data-dir", str(tmp_path)]
    assert main([*data, "scenarios", "import", str(source)]) == 0
    assert "profile: name Chris, risk none, self harm no" in capsys.readouterr().out
    assert main([*data, "scenarios", "show", "work-stress", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["profile"]["caller_name"] == "Chris" and shown["profile_sources"]["caller_name"] == "column"
    assert shown["profile"]["risk"] == "none" and shown["profile_sources"]["risk"] == "text"
    assert shown["profile"]["plan"] is None and shown["profile_sources"]["plan"] == "not_stated"
    assert shown["profile"]["homicidal"] is None
    assert main([*data, "scenarios", "show", "work-stress"]) == 0
    markdown = capsys.readouterr().out
    assert "| caller_name | Chris | column |" in markdown and "| plan | not stated | not stated |" in markdown


def test_show_a_bundled_scenario_and_an_unknown_id(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path)]
    assert main([*data, "scenarios", "show", "plan-and-means", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["profile"]["caller_name"], shown["profile"]["risk"], shown["profile"]["homicidal"]) == (
        "Daniel", "plan", False)
    assert set(shown["profile_sources"].values()) <= {"bundled", "not_stated"}
    assert main([*data, "scenarios", "show", "nope"]) == 1
    assert "plan-and-means" in capsys.readouterr().err
