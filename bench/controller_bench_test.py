"""The benchmark's own arithmetic (not a benchmark: no cluster, no timing): the median and
range --repeat prints over a case's runs."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import controller_bench  # noqa: E402


def run(ratio, p99, p50=20.0):
    return {"makespan_ratio": ratio, "reaction_ms": {"p99": p99, "p50": p50},
            "writes_per_node": 5.0, "peak_rss_mib": 100.0, "cpu_per_1000_s": 12.0,
            "status_kib": 400.0, "sim_cpu_s": 60.0}


class SummaryTest(unittest.TestCase):
    def test_median_and_range_leave_failed_runs_out(self):
        lines = controller_bench.summary_lines(
            [run(2.0, 300.0), {"error": "the run did not end"}, run(1.6, 100.0), run(1.7, 200.0)])
        self.assertIn("makespan / ideal: median 1.700 (range 1.600-2.000, 3 runs)", lines)
        self.assertIn("reaction p99 (ms): median 200.0 (range 100.0-300.0, 3 runs)", lines)

    def test_an_even_count_takes_the_middle_two(self):
        lines = controller_bench.summary_lines([run(1.6, 100.0), run(2.0, 300.0)])
        self.assertIn("makespan / ideal: median 1.800 (range 1.600-2.000, 2 runs)", lines)

    def test_one_run_is_not_summarized(self):
        self.assertEqual(controller_bench.summary_lines([run(1.6, 100.0), {"error": "x"}]), [])


if __name__ == "__main__":
    unittest.main()
