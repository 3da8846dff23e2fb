"""End-to-end: `akg_cli report` turns a real run folder into one self-contained HTML page, and
headless Chromium renders it with the network cut off."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import CLI, CPU_TARGET, EXAMPLES, FIXTURES, cli_env

# A tiny search (as in test_workflows.py): two rounds of two candidates, eager baseline only.
SEARCH_YAML = """
profile_settings: {run_times: 3, warmup_times: 1, baselines: [eager]}
verify_settings: {trials: 2}
search: {rounds: 2, islands: 1, population: 2, elite: 1, migration_interval: 1,
         inspirations: 1, max_candidates: 4, patience: 0, concurrency: 2, seed: 3}
"""

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def akg(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build first (scripts/setup.sh)")
    return subprocess.run([str(CLI), *args], cwd=cwd, env=cli_env(env), capture_output=True,
                          text=True, timeout=timeout)


def make_run(tmp_path_factory, name: str, *op_args: str):
    """One real run in its own folder, with a run history of its own (XDG_DATA_HOME)."""
    root = tmp_path_factory.mktemp(name)
    env = {"XDG_DATA_HOME": str(root / "data")}
    run = root / "run"
    r = akg("op", *CPU_TARGET, *op_args, "--out", str(run), cwd=root, env=env, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return root, run, env


@pytest.fixture(scope="module")
def evolve_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("evolve_cfg")
    (root / "search.yaml").write_text(SEARCH_YAML)
    return make_run(tmp_path_factory, "evolve", "--task", str(EXAMPLES / "swish.py"),
                    "--workflow", "evolve", "--config", str(root / "search.yaml"))


@pytest.fixture(scope="module")
def intent_run(tmp_path_factory):
    return make_run(tmp_path_factory, "intent", "--intent", "Generate a relu kernel",
                    "--config", str(FIXTURES / "fast.yaml"))


def verdict_line(report: dict) -> str:
    """The page's count line, from report.json: passed first, then the rest by name."""
    if report.get("candidates") is not None:
        noun = "candidates"
        verdicts = ["not_generated" if c.get("generation_error") else c["verify"]["verdict"]
                    for c in report["candidates"]]
    else:
        noun = "attempts"
        verdicts = [a["verdict"] for a in report["attempts"]]
    counts = sorted(Counter(verdicts).items(), key=lambda kv: (kv[0] != "passed", kv[0]))
    noun = noun if len(verdicts) != 1 else noun[:-1]
    return f"{len(verdicts)} {noun}: " + ", ".join(f"{n} {v}" for v, n in counts)


class _Resources(HTMLParser):
    """Every tag, every attribute that could fetch something, and the inline CSS."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.fetching: list[tuple[str, str, str]] = []
        self.css = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") or (
                    name == "style" and "url(" in (value or "")):
                self.fetching.append((tag, name, value or ""))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css += data


def assert_self_contained(page: str):
    parsed = _Resources()
    parsed.feed(page)
    assert not parsed.tags & {"script", "link", "img", "iframe", "object", "embed", "image",
                              "use", "video", "audio", "source"}, parsed.tags
    assert parsed.fetching == []
    assert "url(" not in parsed.css and "@import" not in parsed.css


def test_report_writes_the_page_into_the_run_folder_and_prints_its_path(evolve_run):
    root, run, _ = evolve_run
    r = akg("report", str(run), cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
    page_path = run / "report.html"
    assert r.stdout.strip() == str(page_path.resolve())
    page = page_path.read_text()
    assert_self_contained(page)
    assert "<svg" in page and "swish" in page
    assert "Lineage" in page and "Device utilisation" in page
    assert verdict_line(json.loads((run / "report.json").read_text())) in page


def test_out_writes_the_page_elsewhere_and_leaves_no_temporary_file(evolve_run):
    root, run, _ = evolve_run
    out = root / "pages" / "evolve.html"
    r = akg("report", str(run), "--out", str(out), cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == str(out.resolve())
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["evolve.html"]


def test_a_folder_that_is_not_a_run_is_an_input_error_and_writes_nothing(tmp_path):
    folder = tmp_path / "not_a_run"
    folder.mkdir()
    r = akg("report", str(folder), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(folder) in lines[0] and "report.json" in lines[0]
    assert not any(folder.iterdir())
    r = akg("report", str(folder), "--out", str(tmp_path / "page.html"), cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "page.html").exists()


def test_a_run_id_from_the_history_gives_that_runs_page(evolve_run):
    root, run, env = evolve_run
    listed = akg("runs", "--json", cwd=root, env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    ids = [r["id"] for r in json.loads(listed.stdout)["runs"] if r["run_folder"] == str(run)]
    assert ids, listed.stdout
    out = root / "by_id.html"
    r = akg("report", str(ids[0]), "--out", str(out), cwd=root, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert verdict_line(json.loads((run / "report.json").read_text())) in out.read_text()
    r = akg("report", "999999", cwd=root, env=env)
    assert r.returncode == 2 and "999999" in r.stderr, r.stdout + r.stderr


def chromium(*args: str, home: Path) -> subprocess.CompletedProcess:
    """Headless Chromium with every request sent to a closed port: the page gets no network."""
    home.mkdir(parents=True, exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={home / 'profile'}", "--no-default-browser-check",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--hide-scrollbars", *args]
    return subprocess.run(cmd, env=cli_env({"HOME": str(home)}), capture_output=True, text=True,
                          timeout=180)


@pytest.mark.parametrize("which", ["evolve_run", "intent_run"])
def test_chromium_renders_the_page_offline(which, request, tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    root, run, _ = request.getfixturevalue(which)
    page = tmp_path / "report.html"
    r = akg("report", str(run), "--out", str(page), cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_self_contained(page.read_text())
    report = json.loads((run / "report.json").read_text())

    dom = chromium("--dump-dom", page.as_uri(), home=tmp_path / "home")
    assert dom.returncode == 0, dom.stderr
    text = re.sub(r"<[^>]+>", " ", dom.stdout)
    assert report["task"]["name"] in text
    assert "speedup vs eager" in text.lower()
    assert verdict_line(report) in text, text[:2000]
    assert "<svg" in dom.stdout
    if which == "evolve_run":
        assert "Lineage" in text and "c0001" in text

    shot = tmp_path / f"report-{which.removesuffix('_run')}.png"
    r = chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri(),
                 home=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    # tests/e2e/output is not gitignored, so the screenshot stays in the test's own folder.
    print(f"screenshot: {shot}")
