"""Prints one line per corpus entry (verdict, reason, seconds) at the end of the session."""
from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = getattr(config, "_cheat_outcomes", None)
    if not results:
        return
    entries = config._cheat_entries
    tr = terminalreporter
    tr.section("cheat corpus outcomes")
    for entry_id, result in sorted(results.items()):
        entry = entries[entry_id]
        got = f"{result.get('verdict')}/{result.get('reason')}"
        want = "passed" if entry["kind"] == "honest" else "|".join(entry["reasons"])
        ok = (result.get("verdict") == "passed") if entry["kind"] == "honest" else (
            result.get("reason") in entry["reasons"])
        tr.write_line(f"{'ok ' if ok else 'GAP'} {entry_id:34s} got {got:40s} want {want:45s} "
                      f"{result.get('_seconds', 0):5.1f}s")
