'use strict';

const express = require('express');
const db = require('../db');
const queue = require('../queue');
const { version } = require('../../package.json');

const router = express.Router();

function healthCheck(_req, res) {
  res.json({ status: 'ok', version, uptime: process.uptime() });
}

async function readiness(_req, res) {
  try {
    const dbOk = await db.ping();
    const lagMs = await queue.consumerLag();
    if (!dbOk || lagMs > 2000) {
      res.status(503).json({ status: 'degraded', db: dbOk, lagMs });
      return;
    }
    res.json({ status: 'ready', lagMs });
  } catch (err) {
    // a dependency that throws must not crash the probe
    console.warn(`readiness check failed: ${err.message}`);
    res.status(503).json({ status: 'unavailable' });
  }
}

function notFound(req, res) {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
}

router.get('/healthz', healthCheck);
router.get('/readyz', readiness);
router.use(notFound);

module.exports = router;
