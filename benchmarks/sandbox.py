"""Measure sandbox provisioning against a raw copy of the same template file, measured in the same run.

Prints the provision time (median, p95) and its ratio to ``shutil.copyfile`` of the template, and the time to
provision 300 instances in a row, and the time to evaluate every check of every task of one candidate whose
tasks are all solved (reference solves run through the simulator's HTTP endpoints first). Targets (issue "CRM
simulator", 2-core machine): median provision <= 50 ms and <= 3x the raw copy; 300 instances < 10 s;
evaluate <= 100 ms. The two measurements are interleaved so that disk
caches and CPU frequency affect both alike.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import api, create_sim_app, registry, sandbox
from simulator.scenario import load_scenario
from simulator.solve import run_solve


def _ms(seconds: float) -> float:
    return seconds * 1000


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="practice")
    parser.add_argument("--n", type=int, default=200, help="interleaved samples of copy and provision")
    parser.add_argument("--batch", type=int, default=300, help="instances provisioned in a row")
    parser.add_argument("--evaluations", type=int, default=50, help="evaluations of one solved instance")
    parser.add_argument("--keep", action="store_true", help="keep the temporary sandbox folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        scenario = load_scenario(args.scenario)
        root = workdir / "sandboxes"
        start = time.perf_counter()
        template = sandbox.build_template(scenario, root)
        build_s = time.perf_counter() - start
        copies = workdir / "raw"
        copies.mkdir()
        for i in range(5):  # warm-up: imports, registry creation, page cache
            sandbox.provision(scenario, f"warm-{i}", i, root)
            shutil.copyfile(template, copies / f"warm-{i}.sqlite3")

        raw, prov = [], []
        for i in range(args.n):
            t0 = time.perf_counter()
            shutil.copyfile(template, copies / f"{i}.sqlite3")
            t1 = time.perf_counter()
            sandbox.provision(scenario, f"kandydat-{i}", i, root)
            t2 = time.perf_counter()
            raw.append(t1 - t0)
            prov.append(t2 - t1)

        batch_root = workdir / "batch"
        shutil.copytree(root / "templates", batch_root / "templates")
        start = time.perf_counter()
        for i in range(args.batch):
            sandbox.provision(scenario, f"sesja-{i}", 1000 + i, batch_root)
        batch_s = time.perf_counter() - start
        evaluate_ms, checks_count = _evaluate_solved(scenario, root, args.evaluations)
        registry.close_all()

        median_raw, median_prov = statistics.median(raw), statistics.median(prov)
        ratio = median_prov / median_raw
        size_kib = template.stat().st_size / 1024
        print(f"scenario: {scenario.id}   template: {size_kib:.0f} KiB, built in {_ms(build_s):.0f} ms")
        for label, times in (("raw copyfile of the template  ", raw), ("provision (copy+vary+register)", prov)):
            median, p95 = _ms(statistics.median(times)), _ms(_p95(times))
            print(f"{label}: median {median:6.2f} ms   p95 {p95:6.2f} ms   (n={args.n})")
        print(f"ratio provision / raw copy (medians): {ratio:.2f}x")
        print(f"{args.batch} instances in a row: {batch_s:.2f} s ({_ms(batch_s) / args.batch:.2f} ms each)")
        targets = [
            ("median provision <= 50 ms", _ms(median_prov) <= 50),
            ("median provision <= 3x raw copy", ratio <= 3),
            (f"{args.batch} instances < 10 s", batch_s < 10 or args.batch != 300),
        ]
        targets.extend(_print_evaluate(evaluate_ms, checks_count, len(scenario.tasks)))
        print("targets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _print_evaluate(times: list[float], checks_count: int, tasks_count: int) -> list[tuple[str, bool]]:
    if not times:
        print("evaluate: n/a (the scenario has no tasks)")
        return []
    median = statistics.median(times)
    print(
        f"evaluate all {checks_count} checks of {tasks_count} solved tasks: median "
        f"{median:6.2f} ms   p95 {_p95(times):6.2f} ms   (n={len(times)})"
    )
    return [("median evaluate <= 100 ms", median <= 100)]


def _evaluate_solved(scenario, root: Path, n: int) -> tuple[list[float], int]:
    """Solve every task of one instance through the sim app (CSRF on), then time ``n`` full evaluations."""
    if not scenario.tasks:
        return [], 0
    info = api.provision(scenario.id, "kandydat-ocena", 42, root=root)
    app = create_sim_app({"SANDBOX_ROOT": str(root), "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    for task in scenario.tasks:
        run_solve(client, info.token, root, info.instance_id, task)
    result = api.evaluate(info.instance_id, root=root)
    if result.points != result.max_points:
        raise SystemExit(f"solved instance scores {result.points}/{result.max_points}: a reference solve is broken")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        api.evaluate(info.instance_id, root=root)
        times.append(_ms(time.perf_counter() - t0))
    return times, sum(len(t.checks) for t in result.tasks)


if __name__ == "__main__":
    main()
