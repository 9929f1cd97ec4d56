import 'reflect-metadata';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { ValidationError } from '../errors/app-error';
import { validateDto } from './validate-dto';

class Inner {
  @IsOptional() @IsString() value?: string;
}

class Body {
  @IsOptional() @IsString() name?: string;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => Inner) items?: Inner[];
}

const fieldsOf = (plain: Record<string, unknown>) => {
  try {
    validateDto(Body, plain);
    return null;
  } catch (error) {
    return (error as ValidationError).fields;
  }
};

describe(validateDto.name, () => {
  it('should refuse keys named like members of every object, which the whitelist would take for known', () => {
    expect(fieldsOf({ name: 'a', toString: 'x', hasOwnProperty: 1 })).toEqual({
      toString: ['is not a known field'],
      hasOwnProperty: ['is not a known field'],
    });
    expect(fieldsOf({ items: [{ value: 'a' }, { valueOf: 'b' }] })).toEqual({ 'items[1].valueOf': ['is not a known field'] });
  });

  it('should still take known fields and refuse other unknown ones', () => {
    expect(fieldsOf({ name: 'a', items: [{ value: 'b' }] })).toBeNull();
    expect(fieldsOf({ nope: 1 })).toEqual({ nope: ['is not a known field'] });
  });
});
