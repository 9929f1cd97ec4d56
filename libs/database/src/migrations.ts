import { Foundation1763730000000 } from '@app/migrations/1763730000000-foundation';

// Every migration, oldest first. A new migration is added here as well as to migrations/.
export const migrations = [Foundation1763730000000];
