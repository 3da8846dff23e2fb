"""Where a search's candidate time went, per run folder: mean seconds of each candidate step
(generate, build, waiting for a device, verify, profile, as the agent timed them) and of each
step inside the verify and profile children (from the harness's elapsed-time notes), plus the
part of a verify or profile call outside the child's own notes (process start, request and
result files). Compare a one-device and a two-device run of the same task to see which step
grows when both devices work.

    python bench/gpu/phases.py RUNS_DIR > phases.md   # every RUNS_DIR/*/candidates

With --runs, one table per run folder instead (verify_cost.sh's default runs): the whole run and
its inspection (from RUNS_DIR/NAME.log, the agent's output with seconds since its start in front
of each line), then per candidate the agent's step times, every verify and profile note as it
came (trial by trial; the verify's last note gives its peak device memory).

    python bench/gpu/phases.py --runs RUNS_DIR > phases.md
"""
from __future__ import annotations

import json
import pathlib
import re
import statistics
import sys

NOTE = re.compile(r"^\[akg_harness \+([0-9.]+)s\] (.*)$")


def steps(log: str) -> dict[str, float]:
    """Seconds from the previous note to each note, keyed by the note with numbers and
    details removed ("verify trial 2 (task): passed" -> "verify trial N: passed")."""
    out: dict[str, float] = {}
    last = 0.0
    for line in log.splitlines():
        m = NOTE.match(line)
        if not m:
            continue
        t = float(m.group(1))
        key = re.sub(r"\([^)]*\)", "", m.group(2))
        key = re.sub(r"\d+(\.\d+)?", "N", key).split(":")[0].strip()
        key = re.sub(r"\s+", " ", key)
        out[key] = out.get(key, 0.0) + (t - last)
        last = t
    out["(child total)"] = last
    return out


def mean_of(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for r in rows for k in r})
    return {k: statistics.mean(r.get(k, 0.0) for r in rows) for k in keys}


def run_summary(run: pathlib.Path) -> tuple[str, dict[str, float]]:
    timings, verify, profile = [], [], []
    for meta_path in sorted(run.glob("candidates/*/meta.json")):
        meta = json.loads(meta_path.read_text())
        t = {k: float(v) for k, v in (meta.get("timings_s") or {}).items()}
        timings.append(t)
        cand = meta_path.parent
        if (cand / "verify.log").exists() and t.get("verify", 0) > 0:
            s = steps((cand / "verify.log").read_text())
            s["(outside the child)"] = t["verify"] - s["(child total)"]
            verify.append(s)
        if (cand / "profile.log").exists() and t.get("profile", 0) > 0:
            s = steps((cand / "profile.log").read_text())
            s["(outside the child)"] = t["profile"] - s["(child total)"]
            profile.append(s)
    row = {f"step {k}": v for k, v in mean_of(timings).items()} if timings else {}
    row.update({f"verify: {k}": v for k, v in (mean_of(verify) if verify else {}).items()})
    row.update({f"profile: {k}": v for k, v in (mean_of(profile) if profile else {}).items()})
    row["candidates"] = float(len(timings))
    return run.name, row


STAMPED = re.compile(r"^\s*([0-9.]+) (.*)$")


def notes(log: str) -> list[tuple[str, float]]:
    """Each elapsed-time note of a harness log with the seconds since the previous one."""
    out, last = [], 0.0
    for line in log.splitlines():
        m = NOTE.match(line)
        if m:
            out.append((m.group(2)[:90], float(m.group(1)) - last))
            last = float(m.group(1))
    return out


def agent_phases(log_path: pathlib.Path) -> list[tuple[str, float]]:
    """Whole run and inspection from the agent's stamped output."""
    if not log_path.exists():
        return []
    lines = [m.groups() for m in map(STAMPED.match, log_path.read_text().splitlines()) if m]
    rows: list[tuple[str, float]] = []
    for i, (t, text) in enumerate(lines):
        if "inspecting" in text and i + 1 < len(lines):
            rows.append(("inspect (agent: until its next line)", float(lines[i + 1][0]) - float(t)))
            break
    if lines:
        rows.append(("whole run (agent's wall)", float(lines[-1][0])))
    return rows


def _step_times(run: pathlib.Path, cand: pathlib.Path) -> list[tuple[str, float]]:
    """A search candidate's step times (meta.json), or a default run's attempt's verify time
    (report.json)."""
    meta = cand / "meta.json"
    if meta.exists():
        t = json.loads(meta.read_text()).get("timings_s") or {}
        return [(f"{cand.name} step {k}", float(v)) for k, v in t.items()]
    report = run / "report.json"
    if not report.exists():
        return []
    for a in json.loads(report.read_text()).get("attempts") or []:
        if str(a.get("kernel", "")).startswith(f"attempts/{cand.name}/"):
            return [(f"attempt {cand.name} verify (agent)", float(a.get("verify_seconds", 0)))]
    return []


def run_table(run: pathlib.Path) -> str:
    rows = agent_phases(run.parent / f"{run.name}.log")
    report = run / "report.json"
    if report.exists():
        rows.append(("whole run (report.json wall_seconds)",
                     float(json.loads(report.read_text()).get("wall_seconds", 0))))
    for cand in sorted(run.glob("candidates/*")) + sorted(run.glob("attempts/*")):
        rows += _step_times(run, cand)
        for kind in ("verify", "profile"):
            log = cand / f"{kind}.log"
            if log.exists():
                rows += [(f"{cand.name} {kind}: {label}", dt) for label, dt in notes(log.read_text())]
    body = "\n".join(f"| {label} | {value:.3f} |" for label, value in rows)
    return f"### {run.name}\n\n| phase | seconds |\n|---|---|\n{body}\n"


def main() -> None:
    if sys.argv[1] == "--runs":
        root = pathlib.Path(sys.argv[2])
        for run in sorted(p for p in root.iterdir() if (p / "report.json").exists()):
            print(run_table(run))
        return
    runs = sorted(p for p in pathlib.Path(sys.argv[1]).iterdir() if (p / "candidates").is_dir())
    table = dict(run_summary(r) for r in runs)
    names = list(table)
    keys = sorted({k for r in table.values() for k in r}, key=lambda k: (k != "candidates", k))
    print("Mean seconds per candidate (verify and profile steps: time since the previous note).\n")
    print("| step | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for k in keys:
        cells = ["-" if k not in table[n] else
                 (f"{table[n][k]:.0f}" if k == "candidates" else f"{table[n][k]:.3f}") for n in names]
        print(f"| {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
