#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const API_BASE = 'https://catalog.internal.example.com/v2';

async function fetchPage(page, token) {
  const res = await fetch(`${API_BASE}/products?page=${page}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) {
    throw new Error(`catalog request failed: ${res.status}`);
  }
  return res.json();
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'catalog.json' },
      pages: { type: 'string', default: '5' },
    },
  });
  const token = process.env.CATALOG_TOKEN;
  const products = [];
  for (let page = 1; page <= Number(values.pages); page++) {
    const body = await fetchPage(page, token);
    products.push(...body.items);
  }
  await writeFile(values.out, JSON.stringify(products, null, 2));
  console.log(`wrote ${products.length} products to ${values.out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
