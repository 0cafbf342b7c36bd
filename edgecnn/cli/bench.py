"""`edgecnn bench`: Keras vs onnxruntime fp32 vs int8 — latency, throughput, size, cold start, memory, frames, floor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UsageError
from .common import guarded, print_json, say


def parse_batches(text: str) -> tuple[int, ...]:
    """'1,8,64' → (1, 8, 64); anything else is a usage error."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"--batch {text!r}: expected comma-separated whole numbers, e.g. 1,8,64,256") from None
    if not values or min(values) < 1 or max(values) > 4096:
        raise UsageError(f"--batch {text!r}: batch sizes must be between 1 and 4096")
    return tuple(dict.fromkeys(values))


@guarded
def bench(
    model: Optional[List[Path]] = typer.Option(None, "--model", "-m", metavar="<path>", help="ONNX model(s) to time; repeat the option (default: the bundled fp32 and int8 models)."),
    keras: Optional[Path] = typer.Option(None, "--keras", help="Also time Keras (model(x) and model.predict): a run directory or .keras file."),
    batch: str = typer.Option("1,8,64,256", "--batch", help="Comma-separated batch sizes."),
    threads: int = typer.Option(1, "--threads", min=1, max=256, help="Threads for every runtime (pinned)."),
    frames: bool = typer.Option(True, "--frames/--no-frames", help="Time the frame pipeline on a generated 640×480 photo."),
    seconds: float = typer.Option(1.0, "--seconds", min=0.01, max=600, help="Measuring time per runtime and batch size."),
    quick: bool = typer.Option(False, "--quick", help="Tiny iteration counts (smoke test; figures are not meaningful)."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as JSON on stdout."),
    check: bool = typer.Option(False, "--check", help="Exit 1 when a measured target is not met (for CI)."),
) -> None:
    """Time the runtimes side by side in one run, against this CPU's compute floor."""
    batches = parse_batches(batch)
    for m in model or []:
        if not m.is_file():
            raise UsageError(f"--model {m}: no such file")
    from ..tooling import bench as b

    settings = (b.Settings.quick if quick else b.Settings)(batches=batches, threads=threads, frames=frames,
                                                            **({} if quick else {"seconds": seconds}))
    if keras is not None:  # Keras brings TensorFlow and its native log lines
        from .tfquiet import quiet_tensorflow

        with quiet_tensorflow():
            result = b.run(model or None, keras, settings, progress=lambda m: say(m))
    else:
        result = b.run(model or None, keras, settings, progress=lambda m: say(m))
    if json_out:
        print_json(result)
    else:
        report(result)
    failed = failed_targets(result)
    if check and failed:
        say(f"check: {len(failed)} of {sum(t['met'] is not None for t in result['targets'])} measured targets not met: "
            + "; ".join(f"{t['target']} = {t['value']:.2f} (want {t['want']})" for t in failed))
        raise typer.Exit(1)
    if check:
        say("check: every measured target met")


def failed_targets(r: dict) -> list[dict]:
    return [t for t in r["targets"] if t["met"] is not None and not t["met"]]


def _console():
    """Tables laid out for 80 columns (wider only on a wider terminal)."""
    from rich.console import Console

    return Console(width=max(80, Console().width) if sys.stdout.isatty() else 80)


def report(r: dict) -> None:
    """The result document as rich tables on stdout, readable at 80 columns."""
    import re

    from rich.table import Table

    c = _console()
    m, f = r["machine"], r["floor"]
    c.print(f"[bold]{m['cpu']}[/bold], {r['settings']['threads']} thread(s), onnxruntime {m['onnxruntime']}")
    if "isa_text" in m:  # results saved before the host's instruction set was recorded lack it
        c.print(f"instruction set: {m['isa_text']}")
    if r["settings"]["quick"]:
        c.print("--quick: tiny iteration counts, figures not meaningful")
    c.print(f"compute floor: {f['macs_per_image'] / 1e6:.2f} M multiply-adds/image at this CPU's peak:")
    c.print(f"  fp32 {f['peak_fp32_gmacs']:.1f} GMAC/s → {f['floor_us_per_image']:.0f} µs/image, "
            f"int8 GEMM {f['peak_int8_gmacs']:.0f} GMAC/s → {f['floor_int8_us_per_image']:.0f} µs/image")
    t = Table(title="latency and throughput", caption="× floor: time over the compute floor (int8: over the int8 floor)",
              show_edge=False)
    for name in ("runtime", "batch", "p50 ms", "p99 ms", "images/s", "µs/image", "× floor"):
        t.add_column(name, justify="left" if name == "runtime" else "right", no_wrap=True)
    for x in r["results"]:
        floor = x.get("x_floor_int8_peak") or x["x_floor"]
        t.add_row(x["runtime"], str(x["batch"]), f"{x['p50_ms']:.3f}", f"{x['p99_ms']:.3f}",
                  f"{x['throughput_ips']:,.0f}", f"{x['us_per_image']:.1f}", f"{floor:.2f}" if floor else "—")
    c.print(t)
    o = Table(title="size, cold start, memory", show_edge=False)
    for name in ("runtime", "size KiB", "cold start ms", "RSS MB", "peak RSS MB"):
        o.add_column(name, justify="left" if name == "runtime" else "right", no_wrap=True)
    cold = {x["runtime"]: x for x in r["cold_start"]}
    mem = {x["runtime"]: x for x in r["memory"]}
    for s in r["models"]:
        k = cold.get(s["runtime"], {})
        mm = mem.get(s["runtime"])
        o.add_row(s["runtime"], f"{s['bytes'] / 1024:.1f}", f"{k['cold_start_ms']:.1f}" if k else "—",
                  f"{mm['rss_mb']:.0f}" if mm else "—", f"{mm['peak_rss_mb']:.0f}" if mm else "—")
    c.print(o)
    if r["frames"]:
        fr = Table(title="frame pipeline, ms: 640×480 photo, 6 digits", show_edge=False)
        for name in ("runtime", "median", "p95", "segment", "infer", "digits"):
            fr.add_column(name, justify="left" if name == "runtime" else "right", no_wrap=True)
        for x in r["frames"]:
            fr.add_row(x["runtime"], f"{x['median_ms']:.2f}", f"{x['p95_ms']:.2f}", f"{x['segment_ms']:.2f}",
                       f"{x['infer_ms']:.2f}", f"{x['digits_found']}/{x['digits_true']}")
        c.print(fr)
    sp = {k: v for k, v in r["speedups"].items() if v}
    by_batch: dict[int, dict[str, float]] = {}
    other = {}
    for k, v in sp.items():
        hit = re.fullmatch(r"int8_vs_fp32_(throughput|p50)_batch(\d+)", k)
        if hit:
            by_batch.setdefault(int(hit.group(2)), {})[hit.group(1)] = v
        else:
            other[k] = v
    if by_batch:
        st = Table(title="int8 vs fp32", show_edge=False)
        for name in ("batch", "throughput", "p50 latency"):
            st.add_column(name, justify="right", no_wrap=True)
        for b, v in sorted(by_batch.items()):
            st.add_row(str(b), f"{v['throughput']:.2f}× more" if "throughput" in v else "—",
                       f"{v['p50']:.2f}× less" if "p50" in v else "—")
        c.print(st)
    for k, v in other.items():
        c.print(f"{k.replace('_', ' ')}: {v:.2f}×")
    tg = Table(title="targets (default model, single thread)", show_edge=False)
    for name in ("target", "measured", "want", "met"):
        tg.add_column(name, justify="left" if name == "target" else "right")
    for x in r["targets"]:
        met = "—" if x["met"] is None else ("[green]yes[/green]" if x["met"] else "[red]no[/red]")
        tg.add_row(x["target"], "—" if x["value"] is None else f"{x['value']:.2f}", x["want"], met)
    c.print(tg)
