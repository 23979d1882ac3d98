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


def test_web_cli_serve_on_a_busy_port_says_which_and_what_to_do(store: Store) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(serve_cmd, ["--db", str(store.path), "--port", str(port)])
    assert result.exit_code == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
    assert "Serving" not in result.output


def test_web_cli_report_is_readable_like_any_new_file(store: Store, tmp_path: Path) -> None:
    import os

    build_sample(store)
    out = tmp_path / "r.html"
    assert CliRunner().invoke(report_cmd, ["--db", str(store.path), "-o", str(out)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
