"""Every command turns a bad path or a bad settings file into one `Error:` line and exit code 2,
as the README promises, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newstrace.cli import main
from newstrace.store import Store
from newstrace.web.sample import build_sample


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_cli_errors_unwritable_outputs_are_clean_errors(store: Store, tmp_path: Path) -> None:
    ids = build_sample(store)
    db = str(store.path)
    code, out = _run("export", "--db", db, "-o", str(tmp_path / "missing" / "x.json"))
    assert code == 2 and "Error: cannot use" in out and "does not exist" in out and "Traceback" not in out
    existing = tmp_path / "existing.json"
    existing.write_text("{}")
    code, out = _run("export", "--db", db, "--format", "csv", "-o", str(existing))
    assert code == 2 and "Error: cannot use" in out and "choose another path" in out
    code, out = _run("graph", "--db", db, ids["stories"][0], "-o", str(tmp_path / "no" / "dir" / "g.gexf"))
    assert code == 2 and "Error: cannot use" in out


def test_cli_errors_bad_settings_file_is_a_clean_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("x = [\n")
    code, out = _run("config", "--config", str(broken))
    assert code == 2 and "Error:" in out and "not valid TOML" in out and "Traceback" not in out
    typo = tmp_path / "typo.toml"
    typo.write_text("[trace]\ngroup_treshold = 0.8\n")
    code, out = _run("config", "--config", str(typo))
    assert code == 2 and "group_threshold" in out
