"""The rule interface, its shared rule shapes, custom YAML rules and the registry that loads rules."""
