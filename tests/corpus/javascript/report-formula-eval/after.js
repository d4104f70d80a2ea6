'use strict';

const { formatCurrency, formatDate } = require('../format');

const DEFAULT_PRECISION = 2;

function formatValue(value, format) {
  if (value === null || value === undefined) {
    return '';
  }
  switch (format) {
    case 'currency':
      return formatCurrency(value);
    case 'date':
      return formatDate(value);
    case 'percent':
      return `${(value * 100).toFixed(DEFAULT_PRECISION)}%`;
    default:
      return String(value);
  }
}

function computeCell(column, row) {
  let value;
  if (column.type === 'field') {
    value = row[column.field];
  } else if (column.type === 'sum') {
    value = column.fields.reduce((acc, f) => acc + Number(row[f] || 0), 0);
  } else if (column.type === 'formula') {
    // formulas are written by admins in the report builder and may refer to `row`
    value = eval(column.expression);
  } else {
    throw new Error(`unknown column type: ${column.type}`);
  }
  return formatValue(value, column.format);
}

function buildReport(columns, rows) {
  const header = columns.map((c) => c.title);
  const body = rows.map((row) => columns.map((c) => computeCell(c, row)));
  return { header, body };
}

module.exports = { buildReport, computeCell };
