import time, tracemalloc, cProfile, pstats
from peyvand.transfers import exports
from peyvand.customers.models import Person
from tests.transfers.test_export_jobs import _bulk_people

def test_scratch(agent):
    t = time.time()
    _bulk_people(agent, 5_000, "lead")
    print("bulk", time.time() - t)
    exports.start_export(agent, "person", "csv", [], {"q": "zzz"})
    prof = cProfile.Profile()
    prof.enable()
    job = exports.start_export(agent, "person", "csv", [], {})
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    tracemalloc.start(10)
    job = exports.start_export(agent, "person", "csv", [], {})
    snap = tracemalloc.take_snapshot()
    print(tracemalloc.get_traced_memory())
    for stat in snap.statistics("traceback")[:5]:
        print(stat)
        for line in stat.traceback.format()[-12:]:
            print(line)
    tracemalloc.stop()
