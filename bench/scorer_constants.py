"""Write a fitted logistic-regression scorer into the package as a constant dict (the training
scripts' ``--write``): inference then needs numpy only, and a diff shows what changed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def write_scorer_constants(path: Path, name: str, data: dict[str, Any]) -> None:
    """Replace the ``NAME: dict[str, Any] = {...}`` block of ``path`` with ``data`` (features,
    mean, scale, coef, intercept, fitted_on)."""
    text = path.read_text("utf-8")
    lines = [f"{name}: dict[str, Any] = {{", f'    "features": {list(data["features"])!r},'.replace("'", '"')]
    for key in ("mean", "scale", "coef"):
        lines.append(f'    "{key}": {data[key]!r},')
    lines.append(f'    "intercept": {data["intercept"]!r},')
    lines.append(f'    "fitted_on": "{data["fitted_on"]}",')
    lines.append("}")
    new, count = re.subn(rf"{name}: dict\[str, Any\] = \{{.*?\n\}}", lambda _: "\n".join(lines), text, flags=re.S)
    if count != 1:
        raise SystemExit(f"could not find {name} in {path}")
    path.write_text(new, "utf-8")
    print(f"wrote the weights into {path}")
