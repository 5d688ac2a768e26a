"""What a fix run tells a person: each finding's outcome, then one line of totals."""

from __future__ import annotations

from tokenlint.fix.plan import FixPlan, State


def describe(plan: FixPlan, failed: dict[str, str], *, written: bool) -> str:
    """One line per finding (fixed, needs a person, left alone), files left alone, totals."""
    lines: list[str] = []
    for outcome in plan.outcomes:
        finding, location = outcome.finding, outcome.finding.location
        state = outcome.state.value if written or outcome.state is not State.FIXED else "to fix"
        where = f"{location.path}:{location.line}:{location.column}"
        lines.append(f"{where}: {finding.rule} {finding.resource.display()}: {state}: {outcome.text}")
    left_alone = {**plan.left_alone, **failed}
    lines.extend(f"{path}: left alone: {reason}" for path, reason in sorted(left_alone.items()))
    fixed = sum(1 for o in plan.outcomes if o.state is State.FIXED)
    created = sum(1 for before in plan.before.values() if before is None)
    files = f"{len(plan.after)} file{'' if len(plan.after) == 1 else 's'}" + (f" ({created} new)" if created else "")
    totals = [
        f"{fixed} finding{'' if fixed == 1 else 's'} {'fixed' if written else 'to fix'} in {files}",
        f"{len(plan.outcomes) - fixed} not changed automatically",
    ]
    if left_alone:
        totals.append(f"{len(left_alone)} file{'' if len(left_alone) == 1 else 's'} left alone")
    lines.append("\n" + "; ".join(totals))
    return "\n".join(lines) + "\n"
