"""Output for benchmark scripts: a human summary, or JSON lines with --json."""

import argparse
import json
import platform


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    return p


class Report:
    def __init__(self, bench, as_json):
        self.bench = bench
        self.as_json = as_json
        self.machine = f"{platform.machine()} {platform.python_version()}"

    def metric(self, metric, value, unit, **context):
        if self.as_json:
            print(json.dumps({"bench": self.bench, "metric": metric, "value": value, "unit": unit, **context}),
                  flush=True)
        else:
            ctx = " ".join(f"{k}={v}" for k, v in context.items())
            shown = f"{value:.4g}" if isinstance(value, float) else value
            print(f"{self.bench:>10} {metric:<28} {shown:>10} {unit:<8} {ctx}", flush=True)

    def note(self, text):
        if not self.as_json:
            print(text, flush=True)
