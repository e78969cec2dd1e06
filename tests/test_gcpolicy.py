"""The collector's schedule (monitor.gcpolicy): each case runs in a fresh interpreter, as the command and the
extraction workers do, because freezing the collector in the test process would change every later test."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap

from monitor import gcpolicy


def _python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_settle_does_nothing_in_a_process_that_did_not_start():
    before = gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()
    gcpolicy.settle()
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before


def test_start_defers_and_settle_freezes_then_collects_on_the_working_schedule():
    got = _python("""
        import gc, json
        from monitor import gcpolicy
        gcpolicy.start()
        started = gc.get_threshold()
        import monitor.config  # something to freeze
        gcpolicy.settle()
        frozen, settled = gc.get_freeze_count(), gc.get_threshold()
        gcpolicy.settle()  # the second call changes nothing
        print(json.dumps({"started": started, "settled": settled, "frozen": frozen,
                          "again": gc.get_freeze_count(), "enabled": gc.isenabled()}))
    """)
    assert tuple(got["started"]) == gcpolicy.STARTUP_THRESHOLDS
    assert tuple(got["settled"]) == gcpolicy.WORKING_THRESHOLDS
    assert got["frozen"] > 10_000  # the imported modules' objects
    assert got["again"] == got["frozen"]
    assert got["enabled"]


def test_garbage_in_cycles_is_still_collected_after_settle():
    got = _python("""
        import gc, json, weakref
        from monitor import gcpolicy
        gcpolicy.start()
        gcpolicy.settle()
        found = []
        class Node:
            pass
        a, b = Node(), Node()
        a.other, b.other = b, a
        weakref.finalize(a, found.append, "a")
        del a, b
        kept = [[] for _ in range(3 * gcpolicy.WORKING_THRESHOLDS[0])]  # allocations, no explicit collect
        print(json.dumps({"collected": found == ["a"], "garbage_left": len(gc.garbage)}))
    """)
    assert got == {"collected": True, "garbage_left": 0}


def test_the_command_sets_the_startup_schedule_before_its_imports():
    got = _python("""
        import gc, json, sys
        from monitor import entry
        sys.argv = ["nhs-monitor", "--version"]
        try:
            entry.main()
        except SystemExit:
            pass
        print(json.dumps({"threshold": gc.get_threshold(), "cli": "monitor.cli" in sys.modules}))
    """)
    assert tuple(got["threshold"]) == gcpolicy.STARTUP_THRESHOLDS
    assert got["cli"]


def test_the_extraction_worker_starts_and_settles(tmp_path):
    from monitor.extract import worker

    code = worker._CHILD_CODE
    assert code.index("gcpolicy.start()") < code.index("monitor.extract.child")
    result = tmp_path / "gc.json"
    script = textwrap.dedent(f"""
        import gc, json, sys
        sys.argv = ["-c", "0"]
        exec({code!r})  # the worker's own start: its stdin is empty, so it returns after start-up
        with open({str(result)!r}, "w") as f:
            json.dump({{"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}}, f)
    """)
    subprocess.run([sys.executable, "-c", script], stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                   check=True)
    got = json.loads(result.read_text())
    assert tuple(got["threshold"]) == gcpolicy.WORKING_THRESHOLDS
    assert got["frozen"] > 10_000
