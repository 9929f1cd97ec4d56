import { Global, Module } from '@nestjs/common';
import { Sideloads } from './sideloads';

// The registry alone, global and importing nothing: every module registers the types it owns into
// it, and every resource's responses side-load through it (the CLI, which serves nothing, gets an
// empty one for the controllers its modules declare).
@Global()
@Module({
  providers: [Sideloads],
  exports: [Sideloads],
})
export class SideloadsModule {}
