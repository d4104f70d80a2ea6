'use strict';

const CURRENCY_DECIMALS = {
    EUR: 2,
    USD: 2,
    JPY: 0,
    KWD: 3
};

const SYMBOLS = { EUR: '€', USD: '$', JPY: '¥', KWD: 'KD' };

function decimalsFor(currency) {
    const decimals = CURRENCY_DECIMALS[currency];
    if (decimals === undefined) {
        throw new RangeError('unsupported currency: ' + currency);
    }
    return decimals;
}

function toMinorUnits(amount, currency) {
    const factor = Math.pow(10, decimalsFor(currency));
    return Math.round(amount * factor);
}

function fromMinorUnits(minor, currency) {
    return minor / Math.pow(10, decimalsFor(currency));
}

function formatMoney(minor, currency, locale = 'en-US') {
    const amount = fromMinorUnits(minor, currency);
    const formatter = new Intl.NumberFormat(locale, { style: 'currency', currency: currency, minimumFractionDigits: decimalsFor(currency) });
    return formatter.format(amount);
}

function symbolFor(currency) {
    return SYMBOLS[currency] || currency;
}

function sumMoney(values) {
    return values.reduce(function (total, v) { return total + v; }, 0);
}

module.exports = {
    decimalsFor,
    toMinorUnits,
    fromMinorUnits,
    formatMoney,
    symbolFor,
    sumMoney
};
