"""`newstrace report` and `newstrace serve` argument handling (the commands themselves)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newstrace.cli_web import report_cmd, serve_cmd
from newstrace.store import Store
from newstrace.web.sample import build_sample


def test_web_cli_report_writes_the_file(store: Store, tmp_path: Path) -> None:
    build_sample(store)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(report_cmd, ["--db", str(store.path), "-o", str(out), "--stories", "1"])
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert "9,000 IS fighters to be let out of Mosul" in html and "1 smaller ones are left out" in html


def test_web_cli_serve_refuses_a_public_address_without_allow_remote(store: Store) -> None:
    result = CliRunner().invoke(serve_cmd, ["--db", str(store.path), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "Refusing to serve on '0.0.0.0'" in result.output and "--allow-remote" in result.output


def test_web_cli_report_on_a_missing_store_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(report_cmd, ["--db", str(tmp_path / "none.db"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "No store at" in result.output
