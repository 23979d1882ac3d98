"""Legacy 8-bit text: a few accented letters in Western text are read as cp1252, not Baltic."""

from __future__ import annotations

from pathlib import Path

import pytest

from newstrace.ingest import ingest
from newstrace.store import Store
from newstrace.textio import decode_document

BODY = ("KALDOR CITY - More than 3,500 tonnes {x} of contaminated grain will be exported from Kaldor City to "
        "Vestria next month, a senior official in the Kaldor Ministry of Agriculture told the Harbor Press "
        "Agency on Monday. The shipments will reportedly be loaded at night to avoid inspections, the "
        "official said. Agriculture Minister Petra Lund denied the report on Tuesday, calling it fabricated.")


def test_readers_latin1_text_is_not_read_as_cp1257(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(("Grain à Kaldor\n\n" + BODY.format(x="à")).encode("latin-1"))
    assert ingest(store, [str(path)]).stored == 1
    row = store.rows("SELECT title, metadata FROM articles")[0]
    assert row["title"] == "Grain à Kaldor"
    assert "decoded as cp1252" in row["metadata"]  # still a guess, and said so


@pytest.mark.parametrize(("text", "codec"), [
    ("Władze miasta ogłosiły, że eksport zboża do Westrii zostanie wstrzymany. Minister powiedziała, "
     "że tegoroczne zbiory były słabe, a rolnicy żądają odszkodowań.", "cp1250"),
    ("Ministerstvo zemědělství oznámilo, že vývoz obilí do Vestrie bude pozastaven. Ministryně řekla, "
     "že letošní sklizeň byla špatná.", "cp1250"),
])
def test_readers_central_european_text_keeps_its_guess(text: str, codec: str) -> None:
    decoded = decode_document(text.encode(codec))
    assert decoded.encoding != "cp1252"  # "ł" would read "³", "ě" would read "ì"
    assert decoded.text.split()[:2] == text.split()[:2]
