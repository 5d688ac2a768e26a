"""The positioned YAML reader: plain data that remembers where every node stood."""
