"""Output for benchmark scripts: a human summary, or JSON lines with --json."""

import argparse
import json
import platform


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    return p


def print_rows(bench, rows, as_json, human):
    """Print ``(metric, value, unit, context)`` rows, all measured before the first.

    With ``as_json`` one JSON object a row, the value to 6 significant digits;
    otherwise ``human.format(name=, value=, unit=, extra=)`` a row.
    """
    for name, value, unit, extra in rows:
        if as_json:
            print(json.dumps({"bench": bench, "metric": name, "value": float(f"{value:.6g}"),
                              "unit": unit, **extra}))
        else:
            print(human.format(name=name, value=value, unit=unit, extra=extra))


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
