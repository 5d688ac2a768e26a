"""Built-in rules, installed as ``tokenlint.rules``: one module per rule, beside its page.

Each module defines ``Rule``; pyproject.toml lists them in the ``tokenlint.rules``
entry-point group, the same way third-party rules register.
"""
