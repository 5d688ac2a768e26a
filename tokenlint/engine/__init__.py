"""One lint run: parse, cache, run the rules, suppress, baseline, changed-only; never prints."""
