"""A policy decision as text for a terminal (`tidegate policy eval --format text`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def render_decision(decision: Mapping[str, Any]) -> str:
    """Return the action, rollout, risk, reasons, approvals and waived reasons, one per line."""
    rollout = decision["rollout"]
    risk = decision["risk"]
    lines = [
        f"action: {decision['action']}",
        f"rollout: {rollout['strategy']} {rollout['percent']}%",
        f"risk: {risk['score']} ({risk['band']})",
    ]
    for item in risk["contributions"]:
        lines.append(
            f"  {item['feature']}: {item['points']} points"
            f" (value {item['value']}, weight {item['weight']})"
        )
    lines.append(f"reasons: {len(decision['reasons'])}")
    for reason in decision["reasons"]:
        line = (
            f"  {reason['action']:<6} {reason['severity']:<8} {reason['rule']}: {reason['message']}"
        )
        approval = reason.get("approval")
        if approval:
            line += f" [{approval['count']} x {approval['role']}, then {approval['then']}]"
        lines.append(line)
        for evidence in reason["evidence"]:
            where = evidence["file"] + (f":{evidence['line']}" if "line" in evidence else "")
            lines.append(f"      {where}")
    for approval in decision["required_approvals"]:
        lines.append(
            f"approvals: {approval['role']} {approval['satisfied']}/{approval['count']}"
            f" ({', '.join(approval['rules'])})"
        )
    for waived in decision["waived"]:
        lines.append(f"waived: {waived['rule']} by {waived['waiver']}: {waived['message']}")
    return "\n".join(lines) + "\n"
