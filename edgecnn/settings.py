"""The checks every setting goes through, once, in the words of the setting (``max_drop``, not ``--max-drop``).

Config objects (``edgecnn.train.config.TrainConfig``, ``edgecnn.export.config.ExportConfig``) and the runtime's
keyword arguments call these; the CLI takes its typer ranges and choices from the same constants and shows a
:class:`~edgecnn.errors.SettingError` with the flag's name. Light: the standard library only.
"""

from __future__ import annotations

import math
import numbers

from .errors import SettingError

DEVICES = ("auto", "cpu", "gpu")  # where to run: training (TensorFlow) and reading (onnxruntime) alike
CONFIDENCE = (0.0, 1.0)  # min_confidence


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_range(setting: str, value, low=None, high=None, *, above: bool = False, below: bool = False,
                exit_code: int | None = None):
    """``value`` when ``low ≤ value ≤ high`` (``above``/``below``: strictly), else a :class:`SettingError`."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low is None or (value > low if above else value >= low)) and (high is None or (value < high if below else value <= high))
    if not ok:
        raise SettingError(setting, f"{{setting}} must be {bounds(low, high, above=above, below=below)} (got {value})",
                           exit_code)
    return value


def bounds(low=None, high=None, *, above: bool = False, below: bool = False) -> str:
    """'≥ 1', '≤ 10', 'between 13 and 18', 'above 0 and below 10'."""
    lo = None if low is None else (f"above {_number(low)}" if above else f"≥ {_number(low)}")
    hi = None if high is None else (f"below {_number(high)}" if below else f"≤ {_number(high)}")
    if lo and hi:
        return f"between {_number(low)} and {_number(high)}" if not (above or below) else f"{lo} and {hi}"
    return lo or hi or "a number"


def check_choice(setting: str, value, choices) -> str:
    """``value`` when it is one of ``choices``, else a :class:`SettingError` listing them."""
    if value not in choices:
        raise SettingError(setting, f"{{setting}} must be one of {', '.join(map(str, choices))} (got {value!r})")
    return value
