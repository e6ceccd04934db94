import { stripQuery } from '../../lib/policy/strip-query';

const names = new Set(['mybandwidth', 'myratio', 'myboost']);

describe('stripQuery', () => {
  it.each([
    ['mybandwidth=2000&myratio=130&myboost=10', ''],
    ['tag=3277&myboost=10&date=20130726', 'tag=3277&date=20130726'],
    ['a=1&b=2', 'a=1&b=2'],
    ['', ''],
    ['myboost', ''],
    ['b=2&a=1&myratio=5&a=3', 'b=2&a=1&a=3'],
    ['my%62oost=10&x=%zz', 'x=%zz'],
    ['%zz=1&myboost=2', '%zz=1'],
    ['a=1&&myboost=2&b', 'a=1&b'],
    ['q=caf%C3%A9+au+lait&myratio=1', 'q=caf%C3%A9+au+lait'],
  ])('%j → %j', (input, want) => {
    expect(stripQuery(input, names).querystring).toBe(want);
  });

  it('returns every value of each param, decoded and in order', () => {
    const { values } = stripQuery('myboost=1%30&myboost=99&myratio=&x=1&mybandwidth', names);
    expect(Object.fromEntries(values)).toEqual({ myboost: ['10', '99'], myratio: [''], mybandwidth: [''] });
  });

  it('returns the same string when nothing was removed', () => {
    const q = 'a=1&&b=2';
    expect(stripQuery(q, names).querystring).toBe(q);
  });
});
