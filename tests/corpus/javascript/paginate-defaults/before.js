'use strict';

const MAX_PAGE_SIZE = 100;

function clampPageSize(perPage) {
  if (!Number.isInteger(perPage) || perPage < 1) {
    return 1;
  }
  return Math.min(perPage, MAX_PAGE_SIZE);
}

function paginate(items, page = 1, perPage = 20) {
  const size = clampPageSize(perPage);
  const totalPages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(page, 1), totalPages);
  const start = (current - 1) * size;
  return {
    items: items.slice(start, start + size),
    page: current,
    perPage: size,
    totalPages,
  };
}

function pageLinks(baseUrl, totalPages, current) {
  const links = [];
  for (let p = 1; p < totalPages; p++) {
    links.push({
      href: `${baseUrl}?page=${p}`,
      label: String(p),
      active: p === current,
    });
  }
  return links;
}

module.exports = { paginate, pageLinks, MAX_PAGE_SIZE };
