import type { Assignment } from './routing.repository';

// An eligible member of a routing team: their open conversations in the team now.
export interface Candidate {
  userId: number;
  open: number;
}

export interface RoutingPlan {
  assignments: Assignment[];
  // Round robin's turn after this plan: the member assigned last (null: nobody was).
  lastUserId: number | null;
}

// How many more conversations the members can take: null capacity is no limit.
export function freeCapacity(candidates: readonly Candidate[], capacity: number | null): number {
  if (candidates.length === 0) return 0;
  if (capacity === null) return Number.POSITIVE_INFINITY;
  return candidates.reduce((free, c) => free + Math.max(0, capacity - c.open), 0);
}

// Assigns `queue` (oldest first) one by one. Round robin: the members in id order, in turn after
// `lastUserId`, skipping those at capacity. Balanced: the member with the fewest open, ties to
// the lowest id. Nobody goes over capacity; what nobody can take stays unassigned. Pure.
export function planAssignments(
  mode: 'round_robin' | 'balanced',
  candidates: readonly Candidate[],
  capacity: number | null,
  lastUserId: number | null,
  queue: readonly number[],
): RoutingPlan {
  const members = [...candidates].sort((a, b) => a.userId - b.userId).map((c) => ({ ...c }));
  const hasRoom = (m: Candidate) => capacity === null || m.open < capacity;
  const pick = mode === 'balanced' ? () => fewestOpen(members, hasRoom) : inTurn(members, hasRoom, lastUserId);
  const assignments: Assignment[] = [];
  let last = null as number | null;
  for (const conversationId of queue) {
    const member = pick();
    if (!member) break;
    member.open += 1;
    last = member.userId;
    assignments.push({ conversationId, userId: member.userId });
  }
  return { assignments, lastUserId: last };
}

function fewestOpen(members: Candidate[], hasRoom: (m: Candidate) => boolean): Candidate | null {
  let best: Candidate | null = null;
  // Members are in id order, so the first of the fewest is the lowest id.
  for (const m of members) if (hasRoom(m) && (best === null || m.open < best.open)) best = m;
  return best;
}

// The next member with room after the one assigned last, cycling in id order.
function inTurn(members: Candidate[], hasRoom: (m: Candidate) => boolean, lastUserId: number | null): () => Candidate | null {
  let next = lastUserId === null ? 0 : members.findIndex((m) => m.userId > lastUserId);
  if (next < 0) next = 0;
  return () => {
    for (let tried = 0; tried < members.length; tried++) {
      const member = members[(next + tried) % members.length];
      if (hasRoom(member)) {
        next = (next + tried + 1) % members.length;
        return member;
      }
    }
    return null;
  };
}
