import { useEffect, useState } from 'react';
import { format } from 'date-fns';
import { fetchMembers, Member } from '../api/members';

interface TeamMembersListProps {
  teamId: string;
  timeZone: string;
  pageSize: number;
}

function avatarColor(name: string): string {
  let hash = 0;
  for (const ch of name) {
    hash = (hash << 5) - hash + ch.charCodeAt(0);
  }
  const hue = Math.abs(hash) % 360;
  return `hsl(${hue}, 55%, 45%)`;
}

export function TeamMembersList({ teamId, timeZone, pageSize }: TeamMembersListProps) {
  const [members, setMembers] = useState<Member[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetchMembers(teamId, { limit: pageSize })
      .then(setMembers)
      .catch((e: Error) => setError(e.message));
  }, [teamId]);

  if (error) {
    return <p className="error">{error}</p>;
  }

  return (
    <ul className="members">
      {members.map((m) => (
        <li key={m.id}>
          <span className="avatar" style={{ background: avatarColor(m.name) }}>
            {m.name.slice(0, 1)}
          </span>
          {m.name} · joined {format(new Date(m.joinedAt), 'd MMM yyyy', { timeZone })}
        </li>
      ))}
    </ul>
  );
}
