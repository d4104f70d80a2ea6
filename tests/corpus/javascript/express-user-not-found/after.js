'use strict';

const express = require('express');
const { findUserById, updateUser } = require('../services/userService');
const { validateUserPatch } = require('../validation/user');
const { NotFoundError, ValidationError } = require('../errors');
const requireAuth = require('../middleware/requireAuth');

const router = express.Router();

async function getUser(req, res, next) {
  try {
    const user = await findUserById(req.params.id);
    if (!user) {
      throw new NotFoundError(`user ${req.params.id} not found`);
    }
    res.json(user);
  } catch (err) {
    next(err);
  }
}

async function patchUser(req, res, next) {
  try {
    const { error, value } = validateUserPatch(req.body);
    if (error) {
      throw new ValidationError(error.message);
    }
    const user = await updateUser(req.params.id, value);
    res.json(user);
  } catch (err) {
    next(err);
  }
}

router.get('/:id', requireAuth, getUser);
router.patch('/:id', requireAuth, patchUser);

module.exports = router;
