"""Alert rules evaluated against the latest metrics snapshot."""

import operator
from dataclasses import dataclass, field

OPERATORS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


@dataclass
class Rule:
    name: str
    metric: str
    op: str
    threshold: float
    severity: str = "warning"


@dataclass
class Alert:
    rule: str
    severity: str
    value: float


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)

    def load(self, specs: list[dict]) -> None:
        for spec in specs:
            threshold = spec["threshold"]
            rule = Rule(
                name=spec["name"],
                metric=spec["metric"],
                op=spec.get("op", ">"),
                threshold=float(threshold),
                severity=spec.get("severity", "warning"),
            )
            self.rules.append(rule)

    def evaluate(self, metrics: dict[str, float]) -> list[Alert]:
        alerts = []
        for rule in self.rules:
            value = metrics.get(rule.metric)
            if value is None:
                continue
            if OPERATORS[rule.op](value, rule.threshold):
                alerts.append(Alert(rule.name, rule.severity, value))
        return alerts
