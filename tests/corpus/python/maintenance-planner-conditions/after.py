"""Plans rolling maintenance windows for a fleet of hosts."""

from datetime import datetime, timedelta

MAX_PARALLEL = 4
QUIET_START = 22
QUIET_END = 6


class MaintenancePlanner:
    """Splits hosts into batches and gives each batch a quiet time slot."""

    def __init__(self, hosts: list[str], window: timedelta, deadline: datetime) -> None:
        self.hosts = sorted(hosts)
        self.host_count = len(self.hosts)
        self.window = window
        self.deadline = deadline

    def plan(self, start: datetime) -> list[tuple[datetime, list[str]]]:
        schedule = []
        slot = start
        index = 0
        while index < self.host_count and slot <= self.deadline:
            batch = self.hosts[index:index + MAX_PARALLEL]
            schedule.append((slot, batch))
            index += MAX_PARALLEL
            slot = self.next_slot(slot)
        return schedule

    def next_slot(self, slot: datetime) -> datetime:
        candidate = slot + self.window
        while not self.is_quiet_hour(candidate):
            candidate += timedelta(hours=1)
        return candidate

    def is_quiet_hour(self, moment: datetime) -> bool:
        if moment.weekday() == 6:
            return True
        return moment.hour >= QUIET_START or moment.hour < QUIET_END

    def unscheduled(self, schedule: list[tuple[datetime, list[str]]]) -> list[str]:
        planned = set()
        for _, batch in schedule:
            planned.update(batch)
        return [host for host in self.hosts if host not in planned]
