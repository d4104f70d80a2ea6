import type { ActivityEvent } from './types';
import { ActivityItem } from './ActivityItem';

interface DayGroup {
  day: string;
  events: ActivityEvent[];
}

interface ActivityFeedProps {
  events: ActivityEvent[];
  timeZone: string;
}

function toDayKey(iso: string, timeZone?: string): string {
  const formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return formatter.format(new Date(iso));
}

function groupByDay(events: ActivityEvent[]): DayGroup[] {
  const groups = new Map<string, ActivityEvent[]>();
  events.forEach((event) => {
    const key = toDayKey(event.createdAt);
    const bucket = groups.get(key) ?? [];
    bucket.push(event);
    groups.set(key, bucket);
  });
  return Array.from(groups, ([day, items]) => ({ day, events: items }));
}

export function ActivityFeed({ events, timeZone }: ActivityFeedProps) {
  const groups = groupByDay(events);

  return (
    <div className="activity-feed">
      {groups.map((group) => (
        <section key={group.day}>
          <h4 className="activity-feed__day">{group.day}</h4>
          {group.events.map((event) => (
            <ActivityItem key={event.id} event={event} timeZone={timeZone} />
          ))}
        </section>
      ))}
    </div>
  );
}
