import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';

// Routes reachable without an API key (health, the widget's token routes, Pusher's webhook).
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
