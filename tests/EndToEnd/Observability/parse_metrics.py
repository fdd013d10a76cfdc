# Parses a /metrics scrape (stdin) with the Prometheus project's own Python client parser, which rejects what
# Prometheus would not read, and prints it as JSON: {"families": {name: type}, "samples": [[name, labels, value]]}.
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families, samples = {}, []
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = family.type
    for s in family.samples:
        samples.append([s.name, s.labels, s.value])
json.dump({"families": families, "samples": samples}, sys.stdout)
