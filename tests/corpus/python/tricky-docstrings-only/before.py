"""Fee calculation."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FeeSchedule:
    """Fees."""

    percent_bps: int
    fixed_cents: int
    international_bps: int = 150
    minimum_cents: int = 0


def processing_fee(amount_cents: int, schedule: FeeSchedule, international: bool = False) -> int:
    """Return the fee."""
    bps = schedule.percent_bps + (schedule.international_bps if international else 0)
    fee = (amount_cents * bps + 5_000) // 10_000 + schedule.fixed_cents
    return max(fee, schedule.minimum_cents)


def net_amount(amount_cents: int, schedule: FeeSchedule, international: bool = False) -> int:
    return amount_cents - processing_fee(amount_cents, schedule, international)


def gross_up(net_cents: int, schedule: FeeSchedule) -> int:
    """Amount to charge so that `net_cents` is left after fees."""
    gross = (net_cents + schedule.fixed_cents) * 10_000 // (10_000 - schedule.percent_bps)
    while net_amount(gross, schedule) < net_cents:
        gross += 1
    return gross


def describe(schedule: FeeSchedule) -> str:
    percent = schedule.percent_bps / 100
    return f"{percent:.2f}% + {schedule.fixed_cents / 100:.2f}"
