'use strict';

const Stripe = require('stripe');
const logger = require('../logger');

const API_VERSION = '2023-10-16';

function createStripeClient() {
  return new Stripe(process.env.STRIPE_SECRET_KEY, {
    apiVersion: API_VERSION,
    maxNetworkRetries: 2,
  });
}

async function chargeCustomer(customerId, amountCents, currency = 'eur') {
  const stripe = createStripeClient();
  const intent = await stripe.paymentIntents.create({
    customer: customerId,
    amount: amountCents,
    currency,
    confirm: true,
    off_session: true,
  });
  console.log(`payment intent ${intent.id} created for ${customerId}`);
  return intent;
}

async function refundCharge(paymentIntentId, reason) {
  const stripe = createStripeClient();
  const refund = await stripe.refunds.create({
    payment_intent: paymentIntentId,
    reason,
  });
  logger.info(`refund ${refund.id} issued for ${paymentIntentId}`);
  return refund;
}

module.exports = { chargeCustomer, refundCharge };
