import { describe, expect, it } from '@jest/globals';
import { faultPoints, parseFaultPoint } from './fault-point.ts';

describe('test-only fault points', () => {
  it('are off when the variable is unset', () => {
    expect(parseFaultPoint(undefined)).toBeUndefined();
    let killed = 0;
    const points = faultPoints(undefined, () => killed++);
    for (let i = 0; i < 10; i++) points.reach('before-offset-commit');
    expect(killed).toBe(0);
  });

  it('kill exactly once, on the n-th visit of the named point', () => {
    const visits: number[] = [];
    let visit = 0;
    const points = faultPoints('before-offset-commit@3', () => visits.push(visit));
    for (visit = 1; visit <= 6; visit++) points.reach('before-offset-commit');
    expect(visits).toEqual([3]);
  });

  it('refuse a value they do not understand, naming the variable', () => {
    expect(() => parseFaultPoint('after-commit@1')).toThrow(/BOXOFFICE_FAULT_POINT/);
    expect(() => parseFaultPoint('before-offset-commit@0')).toThrow(/BOXOFFICE_FAULT_POINT/);
  });
});
