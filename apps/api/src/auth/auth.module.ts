import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { Tenant } from './tenant.entity';
import { TenantsService } from './tenants.service';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant, User, ApiKey])],
  controllers: [UsersController],
  providers: [ApiKeysService, TenantsService, UsersService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeysService, TenantsService, UsersService],
})
export class AuthModule {}
