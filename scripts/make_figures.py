"""Regenerate every PNG in figures/ from the course's own functions.

    python scripts/make_figures.py

The demo figures come from the slider callbacks in gaml_demos (at fixed slider positions); the
evidence figures (and the README's results table) are drawn from the stored results in results/
by gaml_evidence (run scripts/run_experiments.py first to refresh those).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import gaml_demos as gd
import gaml_evidence as ge
import gaml_plots as gp
import gaml_results as gres
import gaml_tasks as gt


def save(fig, name: str) -> None:
    path = gres.FIGURES_DIR / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print("wrote", path.relative_to(gres.ROOT))


def main() -> None:
    gres.FIGURES_DIR.mkdir(exist_ok=True)
    save(gd.dissent_callback(angle_deg=150.0, length=1.0, n_agree=3).figure, "dissent_demo")
    save(gd.dissent_callback(angle_deg=180.0, length=3.5, n_agree=3).figure, "dissent_long")
    save(gd.tasks_callback().figure, "tasks")
    save(gd.training_callback(0.25, "maml", "flip").figure, "training_maml")
    save(gd.training_callback(0.25, "reptile", "flip").figure, "training_reptile")
    save(gd.omniglot_callback("reptile", 1, 15).figure, "omniglot_demo")
    family = gt.LogisticTaskFamily.create(np.random.default_rng(1), 10, 3.0, 1.0)
    task = tuple(a[0] for a in family.sample(np.random.default_rng(2), 1, 10, 20))
    alphas = np.array([0.01, 0.1, 0.3, 1.0, 2.0])
    errors = gd.meta_gradient_errors(0.5 * family.mean, task, alphas, steps=3)
    save(gp.plot_meta_gradient_check(alphas, errors), "meta_gradient_check")
    if gres.SINE_INIT_FILE.exists():
        save(gd.sine_fit_callback(steps=5, task=0).figure, "sine_fits")
    # the evidence figures and the README's results table, from the stored results
    for path in ge.write_evidence(readme=gres.ROOT / "README.md"):
        print("wrote", path.relative_to(gres.ROOT))


if __name__ == "__main__":
    main()
