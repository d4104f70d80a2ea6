'use strict';

const express = require('express');
const db = require('../db');
const queue = require('../queue');
const { version } = require('../../package.json');

const router = express.Router();

function healthCheck(req, res) {
  res.json({ status: 'ok', version, uptime: process.uptime() });
}

async function readiness(req, res) {
  const dbOk = await db.ping();
  const lagMs = await queue.consumerLag();
  if (!dbOk || lagMs > 5000) {
    res.status(503).json({ status: 'degraded', db: dbOk, lagMs });
    return;
  }
  res.json({ status: 'ready', lagMs });
}

function notFound(req, res) {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
}

router.get('/healthz', healthCheck);
router.get('/readyz', readiness);
router.use(notFound);

module.exports = router;
