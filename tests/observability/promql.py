"""Just enough PromQL to name the metrics an expression reads, and the
series names a Prometheus text exposition offers."""

from __future__ import annotations

import re

GRAFANA_VARS = re.compile(r"\$\{?__(rate_interval|interval|range)\}?")
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
MATCHERS = re.compile(r"\{[^{}]*\}")
RANGES = re.compile(r"\[[^\[\]]*\]")
CLAUSES = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
IDENT = re.compile(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"}
#: series Prometheus makes itself for every target
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def metric_names(expr: str) -> set[str]:
    text = GRAFANA_VARS.sub("5m", expr)
    text = STRINGS.sub('""', text)
    text = MATCHERS.sub("", text)
    text = RANGES.sub("", text)
    text = CLAUSES.sub("", text)
    names = set()
    for m in IDENT.finditer(text):
        name, call = m.group(1), m.group(2)
        if call or name in KEYWORDS or re.fullmatch(r"\d.*", name):
            continue  # a function or aggregation, a keyword
        names.add(name)
    return names


def exported_names(exposition: str) -> set[str]:
    """Series names from the ``# TYPE`` lines (labelled metrics without
    samples yet still have one): histograms give _bucket, _sum, _count."""
    out: set[str] = set()
    for line in exposition.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[:2] == ["#", "TYPE"]:
            name, kind = parts[2], parts[3]
            if kind in ("histogram", "gaugehistogram"):
                out |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            elif kind == "summary":
                out |= {name, f"{name}_sum", f"{name}_count"}
            else:
                out.add(name)
        elif line and not line.startswith("#"):
            out.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return out
