import { Injectable, Param, PipeTransform } from '@nestjs/common';
import { ValidationError } from '../errors/app-error';
import { Messages } from './messages';

// Path ids are bigint identities: a positive whole number, or a 400 naming the parameter.
@Injectable()
export class IdParamPipe implements PipeTransform<string, number> {
  constructor(private readonly name: string) {}

  transform(value: string): number {
    if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw ValidationError.of(this.name, Messages.integer);
    return Number(value);
  }
}

export const IdParam = (name = 'id'): ParameterDecorator => Param(name, new IdParamPipe(name));
