"""``tokenlint fix``: the stage after findings that turns proposed fixes into minimal edits."""
