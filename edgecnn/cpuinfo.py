"""What CPU this is, and which of its instruction-set features matter for int8 inference.

``cpu_info()`` reads ``/proc/cpuinfo`` on Linux (x86 ``flags``, Arm ``Features``) and falls back to
:func:`platform.processor` elsewhere, where the features are unknown (``None``). Pure Python, no imports beyond
the standard library: ``edgecnn bench`` names its host with it.
"""

from __future__ import annotations

import platform

# (flag in /proc/cpuinfo, name people use): the paths onnxruntime's int8 kernels can take on this CPU
INT8_FEATURES = (
    ("avx2", "AVX2"),                # x86 baseline int8 GEMM (vpmaddubsw)
    ("avx512f", "AVX-512"),
    ("avx512_vnni", "AVX-512 VNNI"),  # vpdpbusd: int8 dot products in one instruction
    ("avx_vnni", "AVX-VNNI"),        # the same on 256-bit registers (Alder Lake and later)
    ("amx_int8", "AMX-INT8"),        # tile matrix multiply (Sapphire Rapids and later)
    ("amx_bf16", "AMX-BF16"),
    ("asimddp", "NEON dot product"),  # Arm sdot/udot
    ("i8mm", "Arm I8MM"),            # Arm int8 matrix multiply (smmla)
)


def parse_cpuinfo(text: str) -> dict:
    """``/proc/cpuinfo`` text → ``{"model", "vendor", "family", "model_number", "features", "isa"}``.

    ``features`` maps each flag of :data:`INT8_FEATURES` to True/False; ``isa`` lists the present ones by the
    names people use (``["AVX2", "AVX-512", "AVX-512 VNNI", ...]``). Only the first processor is read.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the end of the first processor's block
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    model = fields.get("model name") or fields.get("cpu model") or fields.get("hardware") or ""
    if not model and "cpu implementer" in fields:  # Arm: no name, only the implementer and part numbers
        model = f"Arm CPU (implementer {fields['cpu implementer']}, part {fields.get('cpu part', '?')})"
    features = {flag: flag in flags for flag, _ in INT8_FEATURES}
    return {"model": " ".join(model.split()), "vendor": fields.get("vendor_id") or None,
            "family": fields.get("cpu family"), "model_number": fields.get("model"),
            "features": features if flags else None,
            "isa": [name for flag, name in INT8_FEATURES if flag in flags] if flags else None}


def cpu_info(path: str = "/proc/cpuinfo") -> dict:
    """This host's CPU as :func:`parse_cpuinfo` describes it; without ``/proc/cpuinfo`` (macOS, Windows) the
    model is :func:`platform.processor` (or the machine type) and ``features``/``isa`` are ``None`` (unknown)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            info = parse_cpuinfo(f.read(1 << 20))
    except OSError:
        info = parse_cpuinfo("")
    if not info["model"]:
        info["model"] = platform.processor() or platform.machine() or "unknown CPU"
    return info


def describe_isa(info: dict) -> str:
    """One short line: ``"AVX2, AVX-512, AVX-512 VNNI, AMX-INT8"`` (or ``"unknown"`` / ``"none of ..."``)."""
    if info.get("isa") is None:
        return "unknown"
    return ", ".join(info["isa"]) if info["isa"] else "no AVX2, VNNI, AMX or Arm dot product"
