import { freeCapacity, planAssignments } from './routing-plan';

const users = (plan: ReturnType<typeof planAssignments>) => plan.assignments.map((a) => a.userId);

describe(planAssignments.name, () => {
  it('should go round in id order after the member assigned last, skipping members at capacity', () => {
    const candidates = [
      { userId: 30, open: 0 },
      { userId: 10, open: 2 },
      { userId: 20, open: 0 },
    ];
    const plan = planAssignments('round_robin', candidates, 2, 10, [1, 2, 3, 4, 5]);
    // 10 is full: 20, 30, 20, 30, then nobody has room.
    expect(users(plan)).toEqual([20, 30, 20, 30]);
    expect(plan.assignments.map((a) => a.conversationId)).toEqual([1, 2, 3, 4]);
    expect(plan.lastUserId).toBe(30);
  });

  it('should start from the lowest id when nobody was assigned yet or the last one has the highest id', () => {
    const candidates = [{ userId: 5, open: 0 }, { userId: 6, open: 0 }];
    expect(users(planAssignments('round_robin', candidates, null, null, [1, 2, 3]))).toEqual([5, 6, 5]);
    expect(users(planAssignments('round_robin', candidates, null, 6, [1, 2, 3]))).toEqual([5, 6, 5]);
    expect(users(planAssignments('round_robin', candidates, null, 99, [1]))).toEqual([5]);
  });

  it('should give each to the member with the fewest open, ties to the lowest id, never over capacity', () => {
    const candidates = [
      { userId: 3, open: 1 },
      { userId: 1, open: 2 },
      { userId: 2, open: 0 },
    ];
    expect(users(planAssignments('balanced', candidates, 3, null, [1, 2, 3, 4, 5, 6, 7]))).toEqual([2, 2, 3, 1, 2, 3]);
  });

  it('should assign nothing without candidates', () => {
    expect(planAssignments('balanced', [], null, null, [1, 2])).toEqual({ assignments: [], lastUserId: null });
  });
});

describe(freeCapacity.name, () => {
  it('should add up the room left under capacity, unlimited without one, none without members', () => {
    expect(freeCapacity([{ userId: 1, open: 3 }, { userId: 2, open: 7 }], 5)).toBe(2);
    expect(freeCapacity([{ userId: 1, open: 3 }], null)).toBe(Number.POSITIVE_INFINITY);
    expect(freeCapacity([], null)).toBe(0);
  });
});
