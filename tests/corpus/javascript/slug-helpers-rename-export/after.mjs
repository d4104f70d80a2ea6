const MAX_SLUG_LENGTH = 80;

function normalizeWhitespace(text) {
  return text.replace(/\s+/g, ' ').trim();
}

export function stripDiacritics(text) {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

export function toSlug(title) {
  const cleaned = stripDiacritics(normalizeWhitespace(title)).toLowerCase();
  return cleaned
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH);
}

export function uniqueSlug(title, taken) {
  const base = toSlug(title);
  let candidate = base;
  let n = 2;
  while (taken.has(candidate)) {
    candidate = `${base}-${n}`;
    n += 1;
  }
  return candidate;
}

export function isSlug(value) {
  return typeof value === 'string' && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value);
}
