"""Placeholder and day/month-ambiguous publication dates become NULL with a reason at ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newstrace.cli_ingest import ingest as ingest_cmd
from newstrace.config import Config
from newstrace.dates import AMBIGUOUS, PLACEHOLDER_EPOCH_ZERO, PLACEHOLDER_NEGATIVE
from newstrace.errors import ConfigError, InputError
from newstrace.ingest import IngestOptions, ingest
from newstrace.store import Store

BODY = ("KALDOR CITY - More than 3,500 tonnes of contaminated grain will be exported from Kaldor City "
        "to Vestria next month, a senior official told the Harbor Press Agency on Monday. {n}")


def _jsonl(tmp_path: Path, published: list[object]) -> Path:
    path = tmp_path / "dated.jsonl"
    path.write_text("\n".join(json.dumps({"url": f"https://wire.example/{n}", "title": f"Grain {n}",
                                          "text": BODY.format(n=n), "published": value})
                              for n, value in enumerate(published)) + "\n", "utf-8")
    return path


def _by_title(store: Store) -> dict[str, dict]:
    rows = store.rows("SELECT title, published_at, metadata FROM articles")
    return {r["title"]: {**r, "metadata": json.loads(r["metadata"])} for r in rows}


def test_ingest_epoch_zero_is_not_the_earliest_article(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [0, -5, 1746500000, "0000-00-00"])
    report = ingest(store, [str(path)])
    assert report.stored == 4
    rows = _by_title(store)
    assert store.scalar("SELECT MIN(published_at) FROM articles") == "2025-05-06T02:53:20+00:00"
    assert rows["Grain 0"]["published_at"] is None
    assert rows["Grain 0"]["metadata"]["published_raw"] == 0
    assert rows["Grain 0"]["metadata"]["ingest_warnings"] == [PLACEHOLDER_EPOCH_ZERO]
    assert rows["Grain 1"]["metadata"]["ingest_warnings"] == [PLACEHOLDER_NEGATIVE]
    assert rows["Grain 3"]["published_at"] is None and rows["Grain 3"]["metadata"]["published_raw"] == "0000-00-00"
    assert report.warnings[PLACEHOLDER_EPOCH_ZERO] == 1


def test_ingest_ambiguous_day_month_needs_an_order(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path, ["06/05/2025 10:00 UTC", "13/05/2025 10:00 UTC"])
    report = ingest(store, [str(path)])
    rows = _by_title(store)
    assert rows["Grain 0"]["published_at"] is None
    assert rows["Grain 0"]["metadata"]["ingest_warnings"] == [AMBIGUOUS]
    assert rows["Grain 1"]["published_at"] == "2025-05-13T10:00:00+00:00"
    assert report.warnings[AMBIGUOUS] == 1


@pytest.mark.parametrize(("order", "iso"), [("dmy", "2025-05-06T10:00:00+00:00"), ("mdy", "2025-06-05T10:00:00+00:00")])
def test_ingest_date_order_option_reads_ambiguous_dates(store: Store, tmp_path: Path, order: str, iso: str) -> None:
    ingest(store, [str(_jsonl(tmp_path, ["06/05/2025 10:00 UTC"]))], IngestOptions(date_order=order))
    assert store.scalar("SELECT published_at FROM articles") == iso


def test_ingest_date_order_setting_applies_and_is_checked(store: Store, tmp_path: Path) -> None:
    toml = tmp_path / "newstrace.toml"
    toml.write_text('[ingest]\ndate_order = "dmy"\n', "utf-8")
    ingest(store, [str(_jsonl(tmp_path, ["06/05/2025 10:00 UTC"]))], config=Config.load(toml))
    assert store.scalar("SELECT published_at FROM articles") == "2025-05-06T10:00:00+00:00"
    toml.write_text('[ingest]\ndate_order = "ymd"\n', "utf-8")
    with pytest.raises(ConfigError, match="dmy"):
        ingest(store, [str(_jsonl(tmp_path, ["06/05/2025 10:00 UTC"]))], config=Config.load(toml))
    with pytest.raises(InputError, match="--date-order"):
        ingest(store, [str(tmp_path / "dated.jsonl")], IngestOptions(date_order="ydm"))


def test_ingest_cli_date_order_and_warning_hint(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, ["06/05/2025 10:00 UTC"])
    runner = CliRunner()
    plain = runner.invoke(ingest_cmd, [str(path), "--db", str(tmp_path / "a.db"), "--quiet"])
    assert plain.exit_code == 0, plain.output
    assert "--date-order" in plain.output
    ordered = runner.invoke(ingest_cmd, [str(path), "--db", str(tmp_path / "b.db"), "--quiet", "--date-order", "mdy"])
    assert ordered.exit_code == 0, ordered.output
    with Store.open(tmp_path / "b.db") as store:
        assert store.scalar("SELECT published_at FROM articles") == "2025-06-05T10:00:00+00:00"
