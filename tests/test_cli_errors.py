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


def test_cli_progress_off_a_terminal_prints_plain_lines() -> None:
    """Under nohup or CI there is no terminal for progress bars: a long run still logs each
    phase's start, its advance (at most every `interval` seconds) and its end."""
    import io

    from rich.console import Console

    from newstrace.cli_common import RichProgress

    log = io.StringIO()
    progress = RichProgress(console=Console(file=log, force_terminal=False), interval=0.0)
    assert progress.plain and not progress.enabled
    progress.start("claims [bold]x[/bold]", 3)
    for _ in range(3):
        progress.advance()
    progress.start("trace", None)
    progress.finish()
    lines = log.getvalue().splitlines()
    assert lines[0] == "claims [bold]x[/bold]: started (3 to do)"
    assert lines[1:4] == ["claims [bold]x[/bold]: 1/3 after 0 s", "claims [bold]x[/bold]: 2/3 after 0 s",
                          "claims [bold]x[/bold]: 3/3 after 0 s"]
    assert lines[4].startswith("claims [bold]x[/bold]: done, 3 in ")
    assert lines[5] == "trace: started (? to do)" and lines[6].startswith("trace: done, 0 in ")
    quiet = io.StringIO()
    silent = RichProgress(True, console=Console(file=quiet, force_terminal=False))
    silent.start("x", 1)
    silent.finish()
    assert quiet.getvalue() == ""


def test_cli_errors_settings_out_of_range_or_unknown_say_what_is_allowed(tmp_path: Path) -> None:
    out_of_range = tmp_path / "range.toml"
    out_of_range.write_text("[reuse]\nsentence_min_cosine = 7\n")
    code, out = _run("config", "--config", str(out_of_range))
    assert code == 2 and "'reuse.sentence_min_cosine'" in out and "between 0.0 and 1.0" in out
    negative = tmp_path / "negative.toml"
    negative.write_text("[stories]\nthreshold = -3\n")
    code, out = _run("config", "--config", str(negative))
    assert code == 2 and "between 0.0 and 1.0" in out
    zero = tmp_path / "zero.toml"
    zero.write_text("[ingest]\nbatch_size = 0\n")
    code, out = _run("config", "--config", str(zero))
    assert code == 2 and "at least 1" in out
    stale = tmp_path / "stale.toml"
    stale.write_text("[stories]\nlexical_weight = 0.3\n")
    code, out = _run("config", "--config", str(stale))
    assert code == 2 and "Did you mean" not in out and "Settings of [stories]:" in out and "threshold" in out


def test_cli_errors_setting_with_choices_names_them(tmp_path: Path) -> None:
    order = tmp_path / "order.toml"
    order.write_text('[ingest]\ndate_order = "DMY"\n')
    code, out = _run("config", "--config", str(order))
    out = " ".join(out.split())
    assert code == 2 and "must be one of" in out and "'dmy'" in out and "order.toml" in out


def test_cli_errors_a_negative_segment_score_is_a_valid_setting(tmp_path: Path) -> None:
    """Segment scores can be negative, so a negative minimum is a real way to split more."""
    ok = tmp_path / "segment.toml"
    ok.write_text("[segment]\nmin_score = -0.5\n")
    code, out = _run("config", "--config", str(ok))
    assert code == 0, out


def test_cli_errors_a_closed_pipe_is_not_reported_as_a_bad_path(store: Store) -> None:
    import subprocess
    import sys

    from newstrace.fixtures import add_articles

    # Far more than a pipe holds (64 KB), so the writer is still writing when the reader goes.
    add_articles(store, [{"title": f"Article {i}", "text": f"Body {i}. " + "word " * 2000} for i in range(60)])
    script = ("import sys; from newstrace.cli import main; "
              f"sys.argv = ['newstrace', 'export', '--db', {str(store.path)!r}]; main()")
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.read(20)
    writer.stdout.close()  # the reader goes away, as `| head -c 20` does
    err = writer.stderr.read().decode()
    writer.wait(timeout=60)
    assert "Error" not in err and "Traceback" not in err and "Broken pipe" not in err
