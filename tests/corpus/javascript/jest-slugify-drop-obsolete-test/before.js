const { slugify } = require('../src/text/slugify');

describe('slugify', () => {
  it('lowercases and hyphenates words', () => {
    expect(slugify('Hello World')).toBe('hello-world');
  });

  it('strips punctuation', () => {
    expect(slugify('Rock & Roll!')).toBe('rock-roll');
  });

  it('transliterates accented characters', () => {
    expect(slugify('Crème Brûlée')).toBe('creme-brulee');
  });

  it('keeps underscores', () => {
    expect(slugify('snake_case_name')).toBe('snake_case_name');
  });

  it('collapses repeated separators', () => {
    expect(slugify('a  --  b')).toBe('a-b');
  });

  it('truncates to 60 characters', () => {
    const long = 'word '.repeat(30);
    expect(slugify(long).length).toBeLessThanOrEqual(60);
  });
});
