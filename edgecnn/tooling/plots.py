"""The evaluation picture: matplotlib when it is installed (the [train] extra), else OpenCV; never TensorFlow.

One image: the confusion matrix, a grid of the most confident mistakes (each digit with
its true and predicted label), and — for a run directory — the training curves.
:func:`evaluation_figure` returns the BGR array; :func:`save_png` writes it atomically.
With matplotlib the matrix has a colour bar (log scale, so 0.1% errors show beside 99% hits) and
readable counts, and the curves have a legend and whole-epoch ticks.
"""

from __future__ import annotations

import os

import numpy as np

PANEL = 480          # each panel is PANEL×PANEL pixels
TITLE = 36           # title strip above the panels
GRID = (6, 6)        # misclassified digits: rows × columns
BG = (255, 255, 255)
INK = (40, 40, 40)
FONT = 0             # cv2.FONT_HERSHEY_SIMPLEX


def figure_size(curves: bool) -> tuple[int, int]:
    """(width, height) of the figure: two panels, three with training curves."""
    return PANEL * (3 if curves else 2), PANEL + TITLE


def evaluation_figure(evaluation, images: np.ndarray, history: list[dict] | None = None,
                      title: str = "") -> np.ndarray:
    """The confusion matrix | misclassified digits [| training curves] as an H×W×3 uint8 BGR image."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return _opencv_figure(evaluation, images, history, title)
    return _matplotlib_figure(evaluation, images, history, title)


def _matplotlib_figure(evaluation, images, history, title) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    width, height = figure_size(bool(history))
    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.suptitle(title or f"accuracy {100 * evaluation.accuracy:.2f}% on {evaluation.count} images", fontsize=12)
    n_panels = 3 if history else 2
    outer = fig.add_gridspec(1, n_panels, left=0.045, right=0.985, top=0.86, bottom=0.1, wspace=0.28)

    # confusion matrix: share of each true class, log colour scale; every non-zero count written in its cell
    confusion = np.asarray(evaluation.confusion)
    n = len(confusion)
    share = confusion / confusion.sum(axis=1, keepdims=True).clip(min=1)
    ax = fig.add_subplot(outer[0])
    errors = np.where((share > 0) & ~np.eye(n, dtype=bool), share, np.nan)
    im = ax.imshow(errors, cmap="Reds", norm=LogNorm(vmin=1e-4, vmax=1))
    from matplotlib.patches import Rectangle

    for t in range(n):  # the diagonal (read right) in green, darker the higher the class's accuracy
        ax.add_patch(Rectangle((t - 0.5, t - 0.5), 1, 1, color="#2e7d32", alpha=0.25 + 0.75 * float(share[t, t]), lw=0))
    for t in range(n):
        for q in range(n):
            v = int(confusion[t, q])
            if v:
                diag = t == q
                ax.text(q, t, str(v), ha="center", va="center", fontsize=7.5 if diag else 7,
                        fontweight="bold" if diag else "normal",
                        color="white" if (diag and share[t, q] > 0.5) or share[t, q] > 0.3 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.tick_params(labelsize=8, length=0)
    ax.set_xlabel("predicted", fontsize=9)
    ax.set_ylabel("true", fontsize=9)
    ax.set_title("confusion (counts; green: read right)", fontsize=9)
    bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    bar.set_label("errors: share of the true class", fontsize=7)

    # most confident mistakes: the digit, true → predicted and the confidence
    rows, cols = GRID
    inner = outer[1].subgridspec(rows, cols, hspace=0.55, wspace=0.1)
    head = fig.add_subplot(outer[1])
    head.axis("off")
    head.set_title("most confident mistakes (true → predicted)", fontsize=9, pad=14)
    if not evaluation.mistakes:
        head.text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize=11, transform=head.transAxes)
    for k, m in enumerate(evaluation.mistakes[: rows * cols]):
        a = fig.add_subplot(inner[divmod(k, cols)])
        a.imshow(np.asarray(images[m.index], np.uint8), cmap="gray_r", vmin=0, vmax=255)
        a.set_xticks([])
        a.set_yticks([])
        a.set_title(f"{m.true}→{m.pred} {m.confidence:.2f}", fontsize=7, color="#b00000", pad=2)

    if history:
        _mpl_curves(fig, outer[2], history)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[:, :, 2::-1])  # RGBA → BGR


def _mpl_curves(fig, spec, history: list[dict]) -> None:
    """Accuracy and loss per epoch, train and validation, with a legend; one epoch shows as points with values."""
    from matplotlib.ticker import MaxNLocator

    epochs = [int(e.get("epoch", i + 1)) for i, e in enumerate(history)]
    inner = spec.subgridspec(2, 1, hspace=0.45)
    for row, metric in enumerate(("accuracy", "loss")):
        ax = fig.add_subplot(inner[row])
        for key, style, name in ((metric, "-o", "train"), (f"val_{metric}", "--s", "validation")):
            pts = [(ep, e[key]) for ep, e in zip(epochs, history) if isinstance(e.get(key), (int, float))]
            if not pts:
                continue
            xs, ys = zip(*pts)
            ax.plot(xs, ys, style, markersize=4, linewidth=1.5, label=name)
            if len(pts) == 1:
                ax.annotate(f"{ys[0]:.4g}", (xs[0], ys[0]), textcoords="offset points", xytext=(6, 4), fontsize=7)
        if len(epochs) == 1:
            ax.set_xlim(epochs[0] - 1, epochs[0] + 1)
            ax.set_xticks(epochs)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.set_ylabel(metric, fontsize=8)
        if row == 0:
            ax.set_title(f"training ({len(epochs)} epoch{'s' if len(epochs) != 1 else ''})", fontsize=9)
            ax.legend(fontsize=7, loc="lower right")
        else:
            ax.set_xlabel("epoch", fontsize=8)


def _opencv_figure(evaluation, images, history, title) -> np.ndarray:
    import cv2

    panels = [_confusion(evaluation.confusion), _mistakes(evaluation.mistakes, images)]
    if history:
        panels.append(_curves(history))
    body = np.concatenate(panels, axis=1)
    head = np.full((TITLE, body.shape[1], 3), BG, np.uint8)
    text = title or f"accuracy {100 * evaluation.accuracy:.2f}% on {evaluation.count} images"
    cv2.putText(head, text, (10, 25), FONT, 0.65, INK, 1, cv2.LINE_AA)
    return np.concatenate([head, body], axis=0)


def save_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Encode ``image`` as PNG and write it atomically."""
    import cv2

    from ..errors import EdgeCNNError
    from ..atomic import write_bytes

    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise EdgeCNNError(f"{path}: could not encode the PNG")
    write_bytes(path, buf.tobytes())


def _panel(title: str) -> np.ndarray:
    import cv2

    p = np.full((PANEL, PANEL, 3), BG, np.uint8)
    cv2.putText(p, title, (10, 22), FONT, 0.55, INK, 1, cv2.LINE_AA)
    return p


def _confusion(confusion: np.ndarray) -> np.ndarray:
    import cv2

    p = _panel("confusion (rows: true, columns: predicted)")
    n = len(confusion)
    x0, y0, cell = 50, 56, (PANEL - 70) // n
    rows = confusion.sum(axis=1, keepdims=True).clip(min=1)
    share = confusion / rows
    for t in range(n):
        cv2.putText(p, str(t), (x0 - 22, y0 + t * cell + cell // 2 + 6), FONT, 0.5, INK, 1, cv2.LINE_AA)
        cv2.putText(p, str(t), (x0 + t * cell + cell // 2 - 5, y0 - 8), FONT, 0.5, INK, 1, cv2.LINE_AA)
        for q in range(n):
            s = float(share[t, q])
            if t == q:  # diagonal: white → green
                color = (int(255 - 120 * s), int(255 - 40 * s), int(255 - 120 * s))
            else:  # errors: white → red, amplified (errors are a few percent)
                e = min(1.0, 8 * s)
                color = (int(255 - 200 * e), int(255 - 200 * e), 255)
            a, b = (x0 + q * cell, y0 + t * cell), (x0 + (q + 1) * cell - 1, y0 + (t + 1) * cell - 1)
            cv2.rectangle(p, a, b, color, -1)
            if confusion[t, q]:
                label = str(int(confusion[t, q]))
                size = 0.42 if len(label) <= 3 else 0.34
                (w, h), _ = cv2.getTextSize(label, FONT, size, 1)
                cv2.putText(p, label, (a[0] + (cell - w) // 2, a[1] + (cell + h) // 2), FONT, size, INK, 1, cv2.LINE_AA)
    return p


def _mistakes(mistakes, images: np.ndarray) -> np.ndarray:
    import cv2

    rows, cols = GRID
    p = _panel("most confident mistakes (true > predicted)")
    top = 40
    cell = min((PANEL - 20) // cols, (PANEL - top - 4) // rows)
    side = cell - 22
    for k, m in enumerate(mistakes[: rows * cols]):
        r, c = divmod(k, cols)
        x, y = 10 + c * cell, top + r * cell
        digit = cv2.resize(255 - np.asarray(images[m.index], np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
        p[y: y + side, x: x + side] = digit[..., None]
        cv2.putText(p, f"{m.true}>{m.pred} {m.confidence:.2f}", (x, y + side + 14), FONT, 0.4, (0, 0, 200), 1, cv2.LINE_AA)
    if not mistakes:
        cv2.putText(p, "no mistakes", (10, 80), FONT, 0.6, INK, 1, cv2.LINE_AA)
    return p


def _curves(history: list[dict]) -> np.ndarray:
    """Accuracy (top) and loss (bottom) per epoch, training solid and validation thin."""
    import cv2

    p = _panel("training curves (train: thick, validation: thin)")
    plots = [("accuracy", 40, (40, 140, 40)), ("loss", 260, (40, 40, 200))]
    epochs = [int(e.get("epoch", i + 1)) for i, e in enumerate(history)]
    for metric, y0, color in plots:
        series = [[e.get(k) for e in history] for k in (metric, f"val_{metric}")]
        values = [v for s in series for v in s if isinstance(v, (int, float))]
        x0, w, h = 60, PANEL - 80, 170
        cv2.rectangle(p, (x0, y0 + 10), (x0 + w, y0 + 10 + h), (200, 200, 200), 1)
        cv2.putText(p, metric, (x0 + 4, y0 + 26), FONT, 0.45, color, 1, cv2.LINE_AA)
        if not values:
            continue
        lo, hi = min(values), max(values)
        hi = hi if hi > lo else lo + 1e-6
        cv2.putText(p, f"{hi:.3g}", (4, y0 + 18), FONT, 0.38, INK, 1, cv2.LINE_AA)
        cv2.putText(p, f"{lo:.3g}", (4, y0 + 10 + h), FONT, 0.38, INK, 1, cv2.LINE_AA)
        span = max(1, epochs[-1] - epochs[0])
        for s, thick in zip(series, (2, 1)):
            pts = [(x0 + int(w * (ep - epochs[0]) / span), y0 + 10 + int(h * (1 - (v - lo) / (hi - lo))))
                   for ep, v in zip(epochs, s) if isinstance(v, (int, float))]
            if len(pts) > 1:
                cv2.polylines(p, [np.array(pts, np.int32)], False, color, thick, cv2.LINE_AA)
            for pt in pts:
                cv2.circle(p, pt, 2, color, -1)
        cv2.putText(p, f"epoch {epochs[0]}..{epochs[-1]}", (x0 + w - 110, y0 + 10 + h + 16), FONT, 0.38, INK, 1, cv2.LINE_AA)
    return p
