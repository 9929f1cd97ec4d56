import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { FileStorage } from './file-storage';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { LocalFileStorage } from './local-file-storage';
import { StoredFile } from './stored-file.entity';
import { TempUploadSweeper } from './temp-upload-sweeper';

@Module({
  imports: [TypeOrmModule.forFeature([StoredFile])],
  controllers: [FilesController],
  providers: [
    FilesRepository,
    FilesService,
    TempUploadSweeper,
    {
      provide: FileStorage,
      inject: [AppConfig],
      useFactory: (config: AppConfig): FileStorage => {
        switch (config.FILE_STORAGE_DRIVER) {
          case 'local':
            return new LocalFileStorage(config.FILES_DIR);
        }
      },
    },
  ],
  exports: [FilesService],
})
export class FilesModule {}
